// What the GPUs did during an eval, from the nvidia-smi log cruijff_kit's eval template keeps beside
// the job's SLURM output: `nvidia-smi --query-gpu=timestamp,utilization.gpu,utilization.memory,
// memory.used,memory.total,power.draw,temperature.gpu --format=csv -l 30 > gpu_metrics.csv`
// (docs/formats.md; older templates query fewer columns). nvidia-smi writes a header naming them,
// then one unquoted line per GPU per sample, values with units (`80 %`, `20480 MiB`) or `[N/A]`. Evals of one checkpoint share the folder (and truncate each
// other's file), so only the samples stamped inside the job's own start and end are counted.
import { readFile } from 'node:fs/promises';
import type { GpuMetrics } from '../state/schema.js';

export const GPU_METRICS_FILE = 'gpu_metrics.csv';

// The file grows by ~100 bytes a GPU every 30 s: a day of 8 GPUs is ~2.3 MB.
const MAX_BYTES = 16 * 1024 * 1024;

/** The job's samples in `file`, or null when it has none (no file, no GPU, nothing in the window). Never throws. */
export async function readGpuMetrics(file: string, start: Date | null, end: Date | null): Promise<GpuMetrics | null> {
  let text: string;
  try {
    const buffer = await readFile(file);
    if (buffer.length > MAX_BYTES) return null;
    text = buffer.toString('utf8');
  } catch {
    return null;
  }
  return summarizeGpuMetrics(text, start, end);
}

/**
 * Mean utilisation and peak memory over the lines stamped within [start, end] (either bound may be
 * open). The columns are found by the header's names: template versions query different lists.
 */
export function summarizeGpuMetrics(text: string, start: Date | null, end: Date | null): GpuMetrics | null {
  let utilAt = -1;
  let memAt = -1;
  let samples = 0;
  let utilSum = 0;
  let utilCount = 0;
  let memPeak: number | null = null;
  for (const line of text.split('\n')) {
    const fields = line.split(',');
    const at = nvidiaTimestamp(fields[0]!);
    if (at === null) {
      if (fields[0]!.trim() === 'timestamp') {
        const names = fields.map((f) => f.trim().split(' ')[0]);
        utilAt = names.indexOf('utilization.gpu');
        memAt = names.indexOf('memory.used');
      }
      continue; // a header, or a line cut short when another job truncated the file
    }
    if ((start && at < start.getTime()) || (end && at > end.getTime())) continue;
    samples++;
    const util = utilAt > 0 ? quantity(fields[utilAt] ?? '') : null;
    if (util !== null) {
      utilSum += util;
      utilCount++;
    }
    const mem = memAt > 0 ? quantity(fields[memAt] ?? '') : null;
    if (mem !== null && (memPeak === null || mem > memPeak)) memPeak = mem;
  }
  if (samples === 0) return null;
  return { util_mean: utilCount > 0 ? Math.round((utilSum / utilCount) * 10) / 10 : null, mem_peak_mib: memPeak, samples };
}

/** `2026/02/17 10:00:30.000` in local time (as SLURM's times), ms; null for anything else. */
function nvidiaTimestamp(field: string): number | null {
  const m = /^\s*(\d{4})\/(\d\d)\/(\d\d) (\d\d):(\d\d):(\d\d)(?:\.(\d+))?\s*$/.exec(field);
  if (!m) return null;
  const [y, mo, d, h, mi, s] = m.slice(1, 7).map(Number) as [number, number, number, number, number, number];
  return new Date(y, mo - 1, d, h, mi, s).getTime();
}

/** `80 %`, `20480 MiB` → the number; `[N/A]`, `[Not Supported]` or junk → null. */
function quantity(field: string): number | null {
  const m = /^\s*(\d+(?:\.\d+)?)(?:\s*\S+)?\s*$/.exec(field);
  return m ? Number(m[1]) : null;
}
