/** A free TCP port on 127.0.0.1 (free when this returns; bind it soon). */
export function freePort(): Promise<number>;
