// SLURM's time words, both ways.

/** Seconds from SLURM's `[D-]H:MM:SS`, `M:SS`, `MM` (minutes, as sbatch --time reads a bare number). */
export function parseSlurmDuration(text: string): number | null {
  const t = text.trim();
  if (!t || /^(UNLIMITED|INVALID|NOT_SET|N\/A|Partition_Limit)$/i.test(t)) return null;
  const m = /^(?:(\d+)-)?(\d+)(?::(\d+))?(?::(\d+))?$/.exec(t);
  if (!m) return null;
  const [, d, a, b, c] = m;
  const days = d ? Number(d) : 0;
  let h = 0;
  let min = 0;
  let s = 0;
  if (c !== undefined) [h, min, s] = [Number(a), Number(b), Number(c)];
  else if (b !== undefined) {
    // `D-H:M` is hours:minutes; plain `M:S` is minutes:seconds.
    if (d) [h, min] = [Number(a), Number(b)];
    else [min, s] = [Number(a), Number(b)];
  } else if (d) h = Number(a);
  else min = Number(a);
  return ((days * 24 + h) * 60 + min) * 60 + s;
}

/** `4m 52s`, `1h 2m 3s`, `2d 1h 0m 0s`: the workflow's human elapsed form. */
export function humanDuration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  const d = Math.floor(s / 86400);
  const h = Math.floor((s % 86400) / 3600);
  const m = Math.floor((s % 3600) / 60);
  const parts: string[] = [];
  if (d) parts.push(`${d}d`);
  if (d || h) parts.push(`${h}h`);
  parts.push(`${m}m`, `${s % 60}s`);
  return parts.join(' ');
}

/** SLURM timestamps are local time without a zone (`2026-11-29T04:01:02`); `Unknown`/`None` → null. */
export function parseSlurmTimestamp(text: string): Date | null {
  const m = /^(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)$/.exec(text.trim());
  if (!m) return null;
  const [y, mo, d, h, mi, s] = m.slice(1).map(Number) as [number, number, number, number, number, number];
  return new Date(y, mo - 1, d, h, mi, s);
}

/** `YYYY-MM-DD HH:MM:SS` in local time: the workflow's timestamp form. */
export function formatTimestamp(date: Date, separator = ' '): string {
  const p = (n: number) => String(n).padStart(2, '0');
  return `${date.getFullYear()}-${p(date.getMonth() + 1)}-${p(date.getDate())}${separator}${p(date.getHours())}:${p(date.getMinutes())}:${p(date.getSeconds())}`;
}

/** `YYYY-MM-DDTHH:MM:SS`: SLURM reads times without a zone as local time. */
export function formatSlurmTimestamp(date: Date): string {
  return formatTimestamp(date, 'T');
}

export function parseTimestamp(text: string): Date | null {
  const m = /^(\d{4})-(\d\d)-(\d\d)[ T](\d\d):(\d\d):(\d\d)$/.exec(text.trim());
  if (!m) return null;
  const [y, mo, d, h, mi, s] = m.slice(1).map(Number) as [number, number, number, number, number, number];
  return new Date(y, mo - 1, d, h, mi, s);
}

// A poll compares the submit times of thousands of jobs, most of them a few distinct seconds (jobs
// go out in batches): each text is parsed once.
const msByText = new Map<string, number | null>();

/** parseTimestamp's instant in milliseconds (null when not a timestamp), remembered per text. */
export function timestampMs(text: string): number | null {
  let ms = msByText.get(text);
  if (ms === undefined) {
    ms = parseTimestamp(text)?.getTime() ?? null;
    if (msByText.size > 5000) msByText.clear();
    msByText.set(text, ms);
  }
  return ms;
}
