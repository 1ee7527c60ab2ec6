/** A timestamp column as PostgreSQL (Date) or SQLite (epoch ms, or text) returns it. */
export type DbTimestamp = Date | number | string;

export function toIso(value: DbTimestamp): string {
  return new Date(
    typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : value,
  ).toISOString();
}

export function toIsoOrNull(
  value: DbTimestamp | null | undefined,
): string | null {
  return value === null || value === undefined ? null : toIso(value);
}
