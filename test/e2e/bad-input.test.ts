// Bad input through the real CLI: one line naming the file and the problem, exit 2, every file
// byte-identical, nothing submitted — or, where one eval alone is affected, its reason in the
// table while the others go on.
import { chmodSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { experiment, jobsPerScript, readJson, REPO, sandbox, type Sandbox } from '../support/harness.js';
import { CAPITALIZATION, scaffoldToday } from '../support/scaffold.mjs';

let s: Sandbox;
beforeAll(() => {
  s = sandbox();
});
afterAll(async () => s?.cleanup());

/** Every file under dir with its bytes. */
function snapshot(dir: string): Map<string, string> {
  const files = new Map<string, string>();
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.isFile()) files.set(relative(dir, p), readFileSync(p, 'latin1'));
    }
  };
  walk(dir);
  return files;
}

let n = 0;
async function expectRefused(mutate: (dir: string) => void, file: string, problem: RegExp) {
  const { dir } = experiment(s, `bad${n++}`, { fixture: 'with-status-tables' });
  mutate(dir);
  const before = snapshot(dir);
  const jobsBefore = s.jobs().length;
  const r = await s.cli(['run', dir, '--poll-interval', '0.2', '--stagger', '0']);
  expect(r.exitCode, r.stderr).toBe(2);
  expect(r.stderr.split('\n')).toHaveLength(1);
  expect(r.stderr).toContain(join(dir, file));
  expect(r.stderr).toMatch(problem);
  expect(r.stderr).not.toMatch(/\n\s+at /);
  expect(snapshot(dir)).toEqual(before);
  expect(s.jobs().length).toBe(jobsBefore);
}

const SUMMARY = 'experiment_summary.md';
const STATE = 'eval_jobs.json';
const BAD_SUMMARIES = join(REPO, 'test', 'fixtures', 'summaries', 'bad');

describe('refused with exit 2, nothing changed', () => {
  for (const name of readdirSync(BAD_SUMMARIES).filter((f) => f.endsWith('.md'))) {
    it(`summary: ${name}`, async () => {
      await expectRefused((dir) => writeFileSync(join(dir, SUMMARY), readFileSync(join(BAD_SUMMARIES, name))), SUMMARY, /\S/);
    });
  }

  const summaryBytes: Array<[string, (text: Buffer) => Buffer, RegExp]> = [
    ['non-UTF-8 bytes', (t) => Buffer.concat([t, Buffer.from([0xff, 0xfe, 0x41])]), /UTF-8/i],
    ['a lone CR line ending', (t) => Buffer.from(t.toString().replace('\n## Overview', '\r## Overview')), /\S/],
    ['a 50 MB summary', (t) => Buffer.concat([t, Buffer.alloc(50 * 1024 * 1024, 0x61)]), /MB|large|size/i],
  ];
  for (const [what, change, problem] of summaryBytes) {
    it(`summary: ${what}`, async () => {
      await expectRefused((dir) => writeFileSync(join(dir, SUMMARY), change(readFileSync(join(dir, SUMMARY)))), SUMMARY, problem);
    });
  }

  it('summary: a symlink loop', async () => {
    await expectRefused((dir) => {
      rmSync(join(dir, SUMMARY));
      symlinkSync(join(dir, SUMMARY), join(dir, SUMMARY));
    }, SUMMARY, /symbolic links \(a symlink loop\?\)/);
  });

  it('summary: a directory', async () => {
    await expectRefused((dir) => {
      rmSync(join(dir, SUMMARY));
      mkdirSync(join(dir, SUMMARY));
    }, SUMMARY, /not a regular file/);
  });

  const states: Array<[string, string, RegExp]> = [
    ['truncated', '{"version": 1, "experiment": "x", "evaluations": {"a": {', /not valid JSON/],
    ['empty', '', /not valid JSON/],
    ['another schema version', '{"version": 7, "experiment": "x", "evaluations": {}}', /schema version 7 is not supported/],
    ['the workflow\'s schema with a status nobody knows', '{"experiment": "x", "monitoring_started": "2025-10-24 00:30:28", "evaluations": {"k": {"run": "r4", "task": "t", "epoch": 0, "status": "DONE"}}}', /invalid at version/],
    ['hand-edited: epoch as text', JSON.stringify({ version: 1, experiment: 'x', experiment_id: 'y', monitoring_started: 't', evaluations: { k: { run: 'r', task: 't', epoch: 'zero', job_id: null, status: 'PENDING', submitted: null, completed: null, elapsed: null, log_path: null, script: 'r/eval/t_epoch0.slurm' } } }), /invalid at evaluations\.k\.epoch/],
    ['hand-edited: evaluations is a list', JSON.stringify({ version: 1, experiment: 'x', experiment_id: 'y', monitoring_started: 't', evaluations: [] }), /invalid at evaluations/],
    ['not an object', '[1, 2, 3]', /invalid at/],
  ];
  for (const [what, text, problem] of states) {
    it(`eval_jobs.json: ${what}`, async () => {
      await expectRefused((dir) => writeFileSync(join(dir, STATE), text), STATE, problem);
    });
  }
});

describe("today's design (experiment_summary.yaml) refused with exit 2, nothing changed", () => {
  const DESIGN = 'experiment_summary.yaml';
  /** A scaffolded experiment whose yaml `change` rewrites; the refusal must name the yaml and say `problem`. */
  async function expectYamlRefused(change: (yaml: string) => string, problem: RegExp) {
    const dir = join(s.root, `yaml${n++}`, CAPITALIZATION.name);
    scaffoldToday(dir, CAPITALIZATION, { seconds: 0 });
    writeFileSync(join(dir, DESIGN), change(readFileSync(join(dir, DESIGN), 'utf8')));
    const before = snapshot(dir);
    const jobsBefore = s.jobs().length;
    for (const args of [['run', dir, '--stagger', '0'], ['run', dir, '--dry-run'], ['report', dir]]) {
      const r = await s.cli(args);
      expect(r.exitCode, `${args[0]}: ${r.stderr}`).toBe(2);
      expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
      expect(r.stderr).toContain(join(dir, DESIGN));
      expect(r.stderr).toMatch(problem);
      expect(r.stderr).not.toMatch(/\n\s+at /);
    }
    expect(snapshot(dir)).toEqual(before);
    expect(s.jobs().length).toBe(jobsBefore);
  }

  it('not YAML: the line it breaks on', async () => {
    await expectYamlRefused((y) => y.replace(/^runs:$/m, 'runs: [\n  - oops'), /: line \d+: not valid YAML \(/);
  });
  it('no runs', async () => {
    await expectYamlRefused((y) => y.replace(/^runs:$/m, 'old_runs:'), /: runs: missing/);
  });
  it('no evaluation matrix', async () => {
    await expectYamlRefused((y) => y.replace(/^( +)matrix:$/m, '$1old_matrix:'), /: evaluation\.matrix: missing/);
  });
  it('a run without a name', async () => {
    await expectYamlRefused((y) => y.replace('- name: "Llama-3.2-1B-Instruct_rank4"', '- label: "Llama-3.2-1B-Instruct_rank4"'), /: runs\.0\.name: missing/);
  });
  it('epochs that are not numbers', async () => {
    await expectYamlRefused((y) => y.replace('epochs: [0, 1]', 'epochs: [first, 1]'), /: invalid at evaluation\.matrix\.\d+\.epochs\.0: /);
  });

  it('fields run-inspect does not use never reject a design', async () => {
    const dir = join(s.root, `yaml${n++}`, CAPITALIZATION.name);
    scaffoldToday(dir, CAPITALIZATION, { seconds: 0 });
    writeFileSync(join(dir, DESIGN), `${readFileSync(join(dir, DESIGN), 'utf8')}\nfuture_section:\n  anything: [1, {a: b}]\n`);
    const r = await s.cli(['run', dir, '--dry-run']);
    expect(r.stderr).toBe('');
    expect(r.exitCode).toBe(0);
  });
});

describe('one eval affected: its reason in the table, the others go on', () => {
  it('an eval script without MODEL_PATH falls back to the summary\'s checkpoint directory; a corrupt log beside it is reported, not fatal', async () => {
    const { dir } = experiment(s, 'partial', { fixture: 'with-status-tables', seconds: 0 });
    const script = join(dir, 'r4', 'eval', 'reverse_words_epoch1.slurm');
    writeFileSync(script, readFileSync(script, 'utf8').replace(/^MODEL_PATH=.*$/m, 'MODEL_PATH="$CK_BASE/ck-out-r4/epoch_1"'));
    // Not a zip, a truncated zip and a zip bomb header in the shared logs folder.
    mkdirSync(join(dir, 'r16', 'eval', 'logs'), { recursive: true });
    writeFileSync(join(dir, 'r16', 'eval', 'logs', '2025-01-01T00-00-00_reverse_words_bad.eval'), 'this is not a zip');
    writeFileSync(join(dir, 'r16', 'eval', 'logs', '2025-01-01T00-00-01_reverse_words_cut.eval'), Buffer.from([0x50, 0x4b, 0x03, 0x04, 0, 0]));
    const noModel = join(dir, 'Llama-3.2-3B_base', 'eval', 'reverse_words_base.slurm');
    chmodSync(noModel, 0o755);
    const r = await s.cli(['run', dir, '--poll-interval', '0.3', '--stagger', '0']);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(r.stderr).toMatch(/reverse_words_bad\.eval: .*not a zip|reverse_words_bad\.eval: .*end-of-central-directory/);
    const state = readJson(join(dir, STATE)).evaluations;
    // $CK_BASE cannot be resolved here: the summary's checkpoint directory decides, and it exists.
    expect(state.r4_reverse_words_epoch1.status).not.toBe('SKIPPED');
    expect(state.r16_reverse_words_epoch0.status).toBe('COMPLETED');
    expect(jobsPerScript(s, dir).size).toBeGreaterThanOrEqual(6);
    expect(statSync(join(dir, SUMMARY)).size).toBeGreaterThan(0);
  }, 60_000);
});
