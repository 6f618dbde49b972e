// Safety windows that are 30 s on a cluster and that tests shorten to replay a kill quickly.

/** `process.env[name]` in seconds as milliseconds: `fallbackS` when unset or not a number, never under 2 s. */
export function windowFromEnv(name: string, fallbackS: number): number {
  const s = Number(process.env[name] ?? fallbackS);
  return Math.max(2_000, (Number.isFinite(s) ? s : fallbackS) * 1000);
}
