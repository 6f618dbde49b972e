// Safety windows that are 30 s on a cluster and that tests shorten to replay a kill quickly.

/** `process.env[name]` seconds as milliseconds: `fallbackS` when unset, empty or not a number; never under 2 s. */
export function windowFromEnv(name: string, fallbackS: number): number {
  const raw = process.env[name]?.trim();
  const s = raw ? Number(raw) : fallbackS;
  return Math.max(2_000, (Number.isFinite(s) ? s : fallbackS) * 1000);
}
