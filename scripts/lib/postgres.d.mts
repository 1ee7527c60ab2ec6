/** The bin folder of the newest installed PostgreSQL, or undefined when there is none. */
export function findPostgresBin(): string | undefined;

export interface StartedPostgres {
  /** postgresql://postgres@127.0.0.1:<port> */
  url: string;
  /** The temporary folder with the data directory and server.log. */
  dir: string;
  /** Stops the server and deletes its folder. */
  stop(): void;
}

/**
 * Starts PostgreSQL in a new temporary folder, or returns undefined when PostgreSQL is not
 * installed. `settings` become `-c name=value` server options.
 */
export function startPostgres(options?: {
  prefix?: string;
  settings?: Record<string, string>;
}): Promise<StartedPostgres | undefined>;
