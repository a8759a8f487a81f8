/**
 * Snowflake IDs, as in Mastodon: milliseconds since the epoch shifted left
 * 16 bits. The database assigns them (`timestamp_id()`); this module converts
 * between times and IDs for pagination bounds and remote objects.
 */
export function idFromTime(time: Date | number): string {
  const ms = typeof time === "number" ? time : time.getTime();
  return (BigInt(Math.max(0, Math.floor(ms))) << 16n).toString();
}

export function timeFromId(id: string): Date {
  return new Date(Number(BigInt(id) >> 16n));
}
