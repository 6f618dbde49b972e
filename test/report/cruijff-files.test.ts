// cruijff_kit's files under {exp}/logs/, written through CruijffFiles and read back the way
// cruijff_kit's own tools read them (their Python re-expressed here).
import { appendFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test } from 'vitest';
import { layoutOf } from '../../src/experiment/layout.js';
import { CruijffFiles, cruijffEvalName, type CruijffSubmission } from '../../src/report/cruijff-files.js';
import { formatEntry } from '../../src/report/runlog.js';

const at = new Date(2026, 10, 29, 7, 30, 5);
const later = new Date(2026, 10, 29, 7, 30, 9);

function experiment() {
  const dir = mkdtempSync(join(tmpdir(), 'ri-cruijff-'));
  const layout = layoutOf(dir, 'cells', join(dir, 'experiment_summary.yaml'));
  const warnings: string[] = [];
  const files = new CruijffFiles(layout.runLog, layout.cruijff!, (m) => warnings.push(m));
  const logs = join(dir, 'logs');
  return {
    dir,
    logs,
    files,
    warnings,
    log: () => readFileSync(join(logs, 'run-inspect.log'), 'utf8'),
    stateText: () => readFileSync(join(logs, 'run-inspect.state.json'), 'utf8'),
    state: () => JSON.parse(readFileSync(join(logs, 'run-inspect.state.json'), 'utf8')) as Record<string, Record<string, unknown>>,
  };
}

// slurm/compute_gpu_metrics.py: SUBMIT_EVAL_RE with re.DOTALL, used by re.findall (harvest_jids_from_run_logs).
// Python's \w is Unicode-aware; the names here are ASCII, where it is JS's \w.
function harvest(log: string): Array<[string, string]> {
  return [...log.matchAll(/SUBMIT_EVAL: ([\w./-]+)\n.*?\nJob ID: (\d+)/gs)].map((m) => [m[1]!, m[2]!]);
}
// cruijff_kit's own test of the same regex (tests/unit/test_run_experiment_logs.py) has no DOTALL.
function harvestOneLine(log: string): Array<[string, string]> {
  return [...log.matchAll(/SUBMIT_EVAL: ([\w./-]+)\n.*?\nJob ID: (\d+)/g)].map((m) => [m[1]!, m[2]!]);
}

// run/_submit_common.py TERMINAL_STATES; status.py writes ALL_COMPLETE when every entry is in it.
const TERMINAL = new Set(['COMPLETED', 'FAILED', 'CANCELLED', 'TIMEOUT', 'OUT_OF_MEMORY', 'NODE_FAIL', 'PREEMPTED', 'BOOT_FAIL', 'DEADLINE']);

// status.py format_table's row, and _format_age's strptime("%Y-%m-%d %H:%M:%S").
function statusRows(state: Record<string, Record<string, unknown>>): string[] {
  return Object.keys(state)
    .sort()
    .map((key) => {
      const e = state[key]!;
      const submitted = (e.submitted_at as string | undefined) ?? '';
      const age = /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/.test(submitted) ? 'age' : '?';
      return `${key} jid ${String(e.job_id || '-')} ${String(e.state ?? '?')} (${age})`;
    });
}

const cap0: CruijffSubmission = { cellScript: 'r8_lr1e-5/eval/capitalization_epoch0/cell.slurm', submittedAt: at, jobId: '2345678' };

test('cruijff_kit names an eval by its cell folder, split at the first _epoch', () => {
  expect(cruijffEvalName('Llama-3.2-1B-Instruct_rank4', 'capitalization_epoch0')).toBe('Llama-3.2-1B-Instruct_rank4/capitalization/epoch0');
  expect(cruijffEvalName('Llama-3.2-1B-Instruct_base', 'capitalization')).toBe('Llama-3.2-1B-Instruct_base/capitalization');
  expect(cruijffEvalName('r', 'reverse_epochs_epoch2')).toBe('r/reverse/epochs_epoch2');
});

test('submissions: one block each in the canonical shape, harvested exactly; state entries as the submitter writes them', async () => {
  const x = experiment();
  await x.files.recordSubmissions([
    cap0,
    { cellScript: 'r8_lr1e-5_base/eval/capitalization/cell.slurm', submittedAt: later, jobId: '2345679' },
    { cellScript: 'r8_lr1e-5/eval/capitalization_epoch1/cell.slurm', submittedAt: later, jobId: null, error: 'sbatch: error: Batch job submission failed:\nJob violates accounting/QOS policy' },
    { cellScript: 'r16/eval/capitalization_epoch0/cell.slurm', submittedAt: later, jobId: '2345680' },
  ]);
  const log = x.log();
  expect(log.startsWith(
    [
      '[2026-11-29 07:30:05] SUBMIT_EVAL: r8_lr1e-5/capitalization/epoch0',
      'Details: sbatch cell.slurm',
      'Job ID: 2345678',
      'Result: success',
      '',
      '[2026-11-29 07:30:09] SUBMIT_EVAL: r8_lr1e-5_base/capitalization',
    ].join('\n'),
  )).toBe(true);
  expect(log).toContain('Result: failure: sbatch: error: Batch job submission failed: Job violates accounting/QOS policy\n\n');
  expect(log.endsWith('Result: success\n\n')).toBe(true);
  // The refused cell is not harvested, and does not take the next cell's job id.
  const jobs = [
    ['r8_lr1e-5/capitalization/epoch0', '2345678'],
    ['r8_lr1e-5_base/capitalization', '2345679'],
    ['r16/capitalization/epoch0', '2345680'],
  ];
  expect(harvest(log)).toEqual(jobs);
  expect(harvestOneLine(log)).toEqual(jobs);

  expect(x.state()).toEqual({
    'r8_lr1e-5/eval/capitalization_epoch0/cell.slurm': { job_id: '2345678', submitted_at: '2026-11-29 07:30:05', state: 'PENDING' },
    'r8_lr1e-5_base/eval/capitalization/cell.slurm': { job_id: '2345679', submitted_at: '2026-11-29 07:30:09', state: 'PENDING' },
    'r8_lr1e-5/eval/capitalization_epoch1/cell.slurm': {
      job_id: null,
      submitted_at: '2026-11-29 07:30:09',
      state: 'SUBMIT_FAILED',
      error: 'sbatch: error: Batch job submission failed: Job violates accounting/QOS policy',
    },
    'r16/eval/capitalization_epoch0/cell.slurm': { job_id: '2345680', submitted_at: '2026-11-29 07:30:09', state: 'PENDING' },
  });
  expect(statusRows(x.state())).toContain('r8_lr1e-5/eval/capitalization_epoch1/cell.slurm jid - SUBMIT_FAILED (age)');
  expect(statusRows(x.state())).toContain('r16/eval/capitalization_epoch0/cell.slurm jid 2345680 PENDING (age)');
});

test('the run log shared with run-inspect’s own entries (a STATE_CHANGE carries a Job ID line) still harvests exactly', async () => {
  const x = experiment();
  await x.files.recordSubmissions([{ ...cap0, jobId: null, error: 'exit 1' }]);
  appendFileSync(join(x.logs, 'run-inspect.log'), formatEntry(at, 'STATE_CHANGE', 'r8/capitalization/epoch0', [['Previous', 'PENDING'], ['Current', 'RUNNING'], ['Job ID', '999']]));
  await x.files.recordSubmissions([{ ...cap0, submittedAt: later, jobId: '2345690' }]);
  expect(harvest(x.log())).toEqual([['r8_lr1e-5/capitalization/epoch0', '2345690']]);
  // A resubmission replaces the failed entry: the error no longer applies.
  expect(x.state()['r8_lr1e-5/eval/capitalization_epoch0/cell.slurm']).toEqual({ job_id: '2345690', submitted_at: '2026-11-29 07:30:09', state: 'PENDING' });
});

test('states: the cells given change; other cells, unknown fields and key order stay as cruijff_kit writes them', async () => {
  const x = experiment();
  mkdirSync(x.logs);
  // As cruijff_kit's submit_torchtune-style retry and a hand annotation would leave it.
  writeFileSync(
    join(x.logs, 'run-inspect.state.json'),
    JSON.stringify({
      'r8/eval/cap_epoch0/cell.slurm': { job_id: '11', submitted_at: '2026-11-28 10:00:00', state: 'RUNNING', note: 'é', retry_history: [{ batch_size: 64 }] },
      'other/eval/cap/cell.slurm': { job_id: '12', submitted_at: '2026-11-28 10:00:01', state: 'PENDING', '10': 1, '9': 2 },
      // sbatch's answer was lost; run-inspect found the job later: the error no longer applies.
      'r8/eval/cap_epoch1/cell.slurm': { job_id: null, submitted_at: '2026-11-28 10:00:02', state: 'SUBMIT_FAILED', error: 'timed out' },
    }),
  );
  await x.files.recordStates([
    { cellScript: 'r8/eval/cap_epoch0/cell.slurm', jobId: '11', submittedAt: '2026-11-28 10:00:00', status: 'COMPLETED' },
    { cellScript: 'r8/eval/cap_epoch1/cell.slurm', jobId: '13', submittedAt: null, status: 'CANCELLED by 4242' },
    // run-inspect's own words: nothing SLURM said; the entry keeps its state (and a missing one stays missing).
    { cellScript: 'other/eval/cap/cell.slurm', jobId: '12', submittedAt: '2026-11-28 10:00:01', status: 'MISSING' },
    { cellScript: 'r8/eval/cap_epoch2/cell.slurm', jobId: '14', submittedAt: null, status: 'SUBMITTING' },
  ]);
  // json.dumps(state, indent=2, sort_keys=True) + "\n", byte for byte (ensure_ascii: é is \u00e9).
  expect(x.stateText()).toBe(`{
  "other/eval/cap/cell.slurm": {
    "10": 1,
    "9": 2,
    "job_id": "12",
    "state": "PENDING",
    "submitted_at": "2026-11-28 10:00:01"
  },
  "r8/eval/cap_epoch0/cell.slurm": {
    "job_id": "11",
    "note": "\\u00e9",
    "retry_history": [
      {
        "batch_size": 64
      }
    ],
    "state": "COMPLETED",
    "submitted_at": "2026-11-28 10:00:00"
  },
  "r8/eval/cap_epoch1/cell.slurm": {
    "job_id": "13",
    "state": "CANCELLED",
    "submitted_at": "2026-11-28 10:00:02"
  }
}
`);
  expect(x.state()['r8/eval/cap_epoch0/cell.slurm']!.note).toBe('é');
  const { ino, mtimeMs } = statSync(join(x.logs, 'run-inspect.state.json'));
  await x.files.recordStates([{ cellScript: 'r8/eval/cap_epoch0/cell.slurm', jobId: '11', submittedAt: '2026-11-28 10:00:00', status: 'COMPLETED' }]);
  const again = statSync(join(x.logs, 'run-inspect.state.json'));
  expect([again.ino, again.mtimeMs]).toEqual([ino, mtimeMs]); // nothing changed, nothing written

  await x.files.recordStates([{ cellScript: 'other/eval/cap/cell.slurm', jobId: '12', submittedAt: '2026-11-28 10:00:01', status: 'TIMEOUT' }]);
  expect(Object.values(x.state()).every((e) => TERMINAL.has(e.state as string))).toBe(true); // status.py's ALL_COMPLETE test
  expect(x.warnings).toEqual([]);
});

test('concurrent writers lose nothing: state updates are serialized, each batch is one contiguous append', async () => {
  const x = experiment();
  const batch = (run: string) =>
    Array.from({ length: 300 }, (_, i): CruijffSubmission => ({ cellScript: `${run}/eval/task${i}_epoch0/cell.slurm`, submittedAt: at, jobId: String(i + 1) }));
  const a = batch('a');
  const b = batch('b');
  await Promise.all([x.files.recordSubmissions(a), x.files.recordSubmissions(b)]);
  expect(Object.keys(x.state())).toHaveLength(600);
  const runs = harvest(x.log()).map(([name]) => name.split('/')[0]);
  expect(runs.join('')).toMatch(/^(a{300}b{300}|b{300}a{300})$/);
});

test('a state file cruijff_kit could not read is kept beside it, with one warning naming it; a blank one is just replaced', async () => {
  for (const [text, problem] of [
    ['{"r/eval/c/cell.slurm": {"job_id": "1",', 'not valid JSON'],
    ['[1, 2]', 'not an object of cell entries'],
    ['{"r/eval/c/cell.slurm": "PENDING"}', 'not an object of cell entries'],
  ] as const) {
    const x = experiment();
    mkdirSync(x.logs);
    writeFileSync(join(x.logs, 'run-inspect.state.json'), text);
    await x.files.recordSubmissions([cap0]);
    const asides = readdirSync(x.logs).filter((f) => f.startsWith('run-inspect.state.json.bad-'));
    expect(asides).toHaveLength(1);
    expect(readFileSync(join(x.logs, asides[0]!), 'utf8')).toBe(text);
    expect(x.warnings).toHaveLength(1);
    expect(x.warnings[0]).toContain(join(x.logs, 'run-inspect.state.json'));
    expect(x.warnings[0]).toContain(problem);
    expect(x.warnings[0]).toContain(asides[0]);
    expect(Object.keys(x.state())).toEqual([cap0.cellScript]);
  }
  const x = experiment();
  mkdirSync(x.logs);
  writeFileSync(join(x.logs, 'run-inspect.state.json'), '\n');
  await x.files.recordSubmissions([cap0]);
  expect(readdirSync(x.logs).sort()).toEqual(['run-inspect.log', 'run-inspect.state.json']);
  expect(x.warnings).toEqual([]);
});

test('files that are symbolic links are never written through', async () => {
  const x = experiment();
  mkdirSync(x.logs);
  const target = join(x.dir, 'elsewhere.json');
  writeFileSync(target, '{}');
  symlinkSync(target, join(x.logs, 'run-inspect.state.json'));
  await expect(x.files.recordStates([{ cellScript: 'r/eval/c/cell.slurm', jobId: '1', submittedAt: null, status: 'RUNNING' }])).rejects.toThrow(
    `${join(x.logs, 'run-inspect.state.json')}: is a symbolic link`,
  );
  expect(readFileSync(target, 'utf8')).toBe('{}');

  const y = experiment();
  mkdirSync(y.logs);
  const logTarget = join(y.dir, 'elsewhere.log');
  writeFileSync(logTarget, '');
  symlinkSync(logTarget, join(y.logs, 'run-inspect.log'));
  await expect(y.files.recordSubmissions([cap0])).rejects.toThrow(`${join(y.logs, 'run-inspect.log')}: is a symbolic link`);
  expect(readFileSync(logTarget, 'utf8')).toBe('');
  expect(existsSync(join(y.logs, 'run-inspect.state.json'))).toBe(false);
});

test('monitor.json: missing means back to the startup values; each valid knob applies; anything else warns and keeps the current values', async () => {
  const x = experiment();
  expect(await x.files.readKnobs()).toEqual({ knobs: null, warnings: [] });
  const file = join(x.logs, 'monitor.json');
  mkdirSync(x.logs);
  const read = async (text: string) => {
    writeFileSync(file, text);
    return x.files.readKnobs();
  };
  expect(await read('{"poll_sec": 30, "stagger_sec": 0, "max_submit": 10}')).toEqual({ knobs: { pollSec: 30, staggerSec: 0, maxSubmit: 10 }, warnings: [] });
  expect(await read('{"poll_sec": 2.5}')).toEqual({ knobs: { pollSec: 2.5 }, warnings: [] });
  expect(await read('{}')).toEqual({ knobs: {}, warnings: [] });

  const mixed = await read('{"poll_sec": 0, "stagger_sec": 5, "max_submit": 2.5, "bogus_key": 99}');
  expect(mixed.knobs).toEqual({ staggerSec: 5 });
  expect(mixed.warnings).toEqual([
    `${file}: poll_sec must be > 0, got 0; keeping the current value`,
    `${file}: max_submit must be an integer, got 2.5; keeping the current value`,
    `${file}: ignoring unknown key "bogus_key"`,
  ]);
  for (const bad of ['{"stagger_sec": -1}', '{"max_submit": 0}', '{"max_submit": true}', '{"poll_sec": "30"}', '{"poll_sec": null}']) {
    const r = await read(bad);
    expect(r.knobs).toEqual({});
    expect(r.warnings).toHaveLength(1);
  }
  for (const bad of ['{not valid json', '[1, 2, 3]', 'null']) {
    const r = await read(bad);
    expect(r.knobs).toEqual({});
    expect(r.warnings).toHaveLength(1);
    expect(r.warnings[0]).toContain(file);
  }
});

test('monitor.json that cannot be read is a warning, never a throw', async () => {
  const x = experiment();
  mkdirSync(join(x.logs, 'monitor.json'), { recursive: true });
  const r = await x.files.readKnobs();
  expect(r.knobs).toEqual({});
  expect(r.warnings[0]).toContain('cannot be read (EISDIR)');
});

test('.detach: any file there asks to detach, and stays until the user removes it', async () => {
  const x = experiment();
  expect(await x.files.detachRequested()).toBe(false);
  mkdirSync(x.logs);
  symlinkSync(join(x.dir, 'nowhere'), join(x.logs, '.detach')); // Path.exists(): a dangling link is not there
  expect(await x.files.detachRequested()).toBe(false);
  const y = experiment();
  mkdirSync(y.logs);
  writeFileSync(join(y.logs, '.detach'), '');
  expect(await y.files.detachRequested()).toBe(true);
  await y.files.recordDetached('sentinel', at);
  expect(await y.files.detachRequested()).toBe(true);
  expect(existsSync(join(y.logs, '.detach'))).toBe(true);
});

test('MONITOR_DETACHED and MONITOR_CONFIG blocks as cruijff_kit writes them, invisible to the harvest', async () => {
  const x = experiment();
  await x.files.recordDetached('sentinel', at);
  await x.files.recordSubmissions([cap0, { cellScript: 'b/eval/t_epoch0/cell.slurm', submittedAt: at, jobId: '7' }, { cellScript: 'c/eval/t/cell.slurm', submittedAt: at, jobId: null, error: 'exit 1' }]);
  await x.files.recordStates([{ cellScript: 'b/eval/t_epoch0/cell.slurm', jobId: '7', submittedAt: null, status: 'COMPLETED' }]);
  await x.files.recordDetached('sentinel', later);
  await x.files.recordKnobsApplied({ pollSec: 30, staggerSec: 5, maxSubmit: 25 }, { pollSec: 60 }, later);
  const log = x.log();
  expect(log.startsWith('[2026-11-29 07:30:05] MONITOR_DETACHED\nDetails: reason=sentinel; state breakdown: (no state)\nResult: monitoring paused; jobs continue\n\n')).toBe(true);
  expect(log.endsWith(
    [
      '[2026-11-29 07:30:09] MONITOR_DETACHED',
      'Details: reason=sentinel; state breakdown: COMPLETED=1, PENDING=1, SUBMIT_FAILED=1',
      'Result: monitoring paused; jobs continue',
      '',
      '[2026-11-29 07:30:09] MONITOR_CONFIG: applied',
      'Details: poll_sec=30 (was 60); stagger_sec=5 (unchanged); max_submit=25 (unchanged)',
      'Result: settings updated from logs/monitor.json',
      '',
      '',
    ].join('\n'),
  )).toBe(true);
  expect(harvest(log)).toEqual([
    ['r8_lr1e-5/capitalization/epoch0', '2345678'],
    ['b/t/epoch0', '7'],
  ]);
});
