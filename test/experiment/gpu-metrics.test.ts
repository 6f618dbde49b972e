import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readGpuMetrics, summarizeGpuMetrics } from '../../src/experiment/gpu-metrics.js';

// As cruijff_kit's eval template has nvidia-smi write it (`--format=csv -l 30`).
const HEADER = 'timestamp, utilization.gpu [%], utilization.memory [%], memory.used [MiB], memory.total [MiB], power.draw [W], temperature.gpu';
const rows = [
  '2026/02/17 09:59:30.000, 5 %, 1 %, 100 MiB, 40960 MiB, 60.00 W, 40', // another job's, before ours started
  '2026/02/17 10:00:00.000, 80 %, 45 %, 20480 MiB, 40960 MiB, 250.00 W, 65',
  '2026/02/17 10:00:30.000, 90 %, 50 %, 22528 MiB, 40960 MiB, 270.00 W, 68',
  '2026/02/17 10:01:00.000, [N/A], 40 %, 18432 MiB, 40960 MiB, 230.00 W, 63',
  '2026/02/17 10:01:30.000, 70 %, 40 %, 18432 MiB, 40960 MiB, 230.00 W, 63',
  '2026/02/17 10:02:30.000, 99 %, 99 %, 39000 MiB, 40960 MiB, 300.00 W, 70', // after ours ended
];
const start = new Date(2026, 1, 17, 10, 0, 0);
const end = new Date(2026, 1, 17, 10, 2, 0);

describe('gpu_metrics.csv', () => {
  it('averages utilisation and takes peak memory over the samples stamped within the job', () => {
    // (80 + 90 + 70) / 3 = 80; [N/A] is no sample of utilisation, but its row counts
    expect(summarizeGpuMetrics([HEADER, ...rows].join('\n'), start, end)).toEqual({ util_mean: 80, mem_peak_mib: 22528, samples: 4 });
    // (5 + 80 + 90 + 70 + 99) / 5 = 68.8 with the window open
    expect(summarizeGpuMetrics([HEADER, ...rows].join('\n'), null, null)).toEqual({ util_mean: 68.8, mem_peak_mib: 39000, samples: 6 });
  });

  it("finds the columns by the header's names: older templates query fewer", () => {
    const old = ['timestamp, utilization.gpu [%], memory.used [MiB], memory.total [MiB]', '2026/02/17 10:00:00.000, 40 %, 1024 MiB, 81920 MiB', '2026/02/17 10:00:30.000, 60 %, 2048 MiB, 81920 MiB'];
    expect(summarizeGpuMetrics(old.join('\n'), start, end)).toEqual({ util_mean: 50, mem_peak_mib: 2048, samples: 2 });
  });

  it('says nothing for no GPU samples, a header alone, a missing file or lines cut by another job truncating the file', async () => {
    expect(summarizeGpuMetrics(HEADER, start, end)).toBeNull();
    expect(summarizeGpuMetrics('\0\0\0\0, 80 %\n2026/02/17 10:00', start, end)).toBeNull();
    const dir = mkdtempSync(join(tmpdir(), 'gpu-'));
    expect(await readGpuMetrics(join(dir, 'gpu_metrics.csv'), start, end)).toBeNull();
    writeFileSync(join(dir, 'gpu_metrics.csv'), [HEADER, ...rows, ''].join('\n'));
    expect(await readGpuMetrics(join(dir, 'gpu_metrics.csv'), start, end)).toMatchObject({ util_mean: 80, samples: 4 });
  });
});
