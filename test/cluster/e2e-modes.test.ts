// run-inspect on the real cluster in its other modes: a QOS submit limit, a short MinJobAge (jobs
// purged from squeue before run-inspect sees them end), accounting disabled. Each describe puts the
// cluster in its mode first (cluster.sh start <options>: a restart, a few seconds); the file puts
// it back in the default mode at the end. Assertions check what SLURM itself reports.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resultText } from '../../src/report/eval-text.js';
import { makeExperiment, type EvalDef } from '../support/make-experiment.mjs';
import {
  cancelJobsUnder,
  chainFinished,
  cli,
  clusterMode,
  editEvalScript,
  evalJobsByKey,
  evalState,
  readJson,
  secondsOf,
  settledJobsUnder,
  sleep,
  slurm,
  squeueAll,
  tagsOf,
  userEnv,
  waitFor,
  workRoot,
} from './support.js';

let work: ReturnType<typeof workRoot>;
beforeAll(() => {
  work = workRoot('modes');
});
afterAll(async () => {
  if (work) {
    await cancelJobsUnder(work.root).catch(() => undefined);
    work.rm();
  }
  await clusterMode([]);
});

const log = (dir: string) => readFileSync(join(dir, 'run-inspect.log'), 'utf8');
const words: EvalDef[] = [
  ...[0, 1, 2].map((epoch) => ({ run: 'r4', task: 'reverse_words', epoch })),
  ...[0, 1].map((epoch) => ({ run: 'r16', task: 'reverse_words', epoch })),
];

describe('QOS MaxSubmitJobsPerUser=3', () => {
  beforeAll(async () => {
    await clusterMode(['--qos-max-submit', '3']);
    const q = await slurm('sacctmgr', ['-n', '-P', 'show', 'qos', 'normal', 'format=Name,MaxSubmitPU']);
    expect(q.stdout.trim()).toBe('normal|3');
  });

  it('a launched chain waits out the limit (its own two links hold two of the three slots) and submits each eval once', async () => {
    const since = new Date(Date.now() - 2000);
    const dir = join(work.root, 'words_qos');
    const exp = makeExperiment(dir, { fixture: 'with-status-tables', evals: words, seconds: 2 });
    const tags = tagsOf(dir);
    const launched = await cli(['launch', dir, '--poll-interval', '2', '--stagger', '0']);
    expect(launched.exitCode).toBe(0);
    await waitFor('the chain to finish', async () => (chainFinished(dir) ? true : undefined), 240_000, 1000);
    const rows = await settledJobsUnder(dir, since);

    const jobs = evalJobsByKey(dir, rows, exp.keys);
    const state = evalState(dir);
    for (const key of exp.keys) {
      expect(jobs.get(key)!.map((a) => [a.state, a.exitCode]), `SLURM jobs of ${key}`).toEqual([['COMPLETED', '0:0']]);
      expect(state[key]).toMatchObject({ status: 'COMPLETED', job_id: jobs.get(key)![0]!.id });
    }
    // SLURM never held more than 3 of our jobs (links included): the limit really applied
    const spans = rows.map((a) => [secondsOf(a.submit), secondsOf(a.end)] as const);
    for (const [t] of spans) expect(spans.filter(([a, b]) => a <= t && t < b).length).toBeLessThanOrEqual(3);
    const text = log(dir);
    expect(text).toMatch(/SUBMIT_DEFERRED: .*\nCommand: .*\nResult: QOS submit limit: sbatch: error: QOSMaxSubmitJobPerUserLimit/);
    expect(text).not.toMatch(/SUBMIT_FAILED/);
    expect(text).toMatch(/CHAIN_END: /);
    // one link ran; the successor it queued at once (the second slot) was cancelled at the end
    const links = rows.filter((a) => a.comment === tags.monitor).sort((a, b) => Number(a.id) - Number(b.id));
    expect(links.map((a) => a.state)).toEqual(['COMPLETED', 'CANCELLED by 0']);
    // nothing of the chain is left queued
    expect([...(await squeueAll()).values()].filter((q) => q.comment === tags.monitor && /PENDING|RUNNING/.test(q.state))).toEqual([]);
  }, 300_000);
});

describe('MinJobAge=5 (accounting on): jobs leave squeue before run-inspect looks again', () => {
  beforeAll(async () => {
    await clusterMode(['--min-job-age', '5']);
  });

  it('sacct tells how each purged job ended; the inspect log tells the true outcome', async () => {
    const since = new Date(Date.now() - 2000);
    const dir = join(work.root, 'words_purge');
    const exp = makeExperiment(dir, {
      fixture: 'with-status-tables',
      evals: words,
      seconds: 1,
      outcomes: { r4_reverse_words_epoch1: 'error', r4_reverse_words_epoch2: 'exit1', r16_reverse_words_epoch1: 'crash' },
    });
    // a poll interval well past MinJobAge: every job has ended and been purged at the second poll
    const r = await cli(['run', dir, '--poll-interval', '20', '--stagger', '0']);
    expect(r.stderr).not.toMatch(/internal error/);
    expect(r.exitCode).toBe(1);
    const rows = await settledJobsUnder(dir, since);
    const jobs = evalJobsByKey(dir, rows, exp.keys);
    const state = evalState(dir);
    // the controller has forgotten them: only sacct knows
    for (const js of jobs.values()) {
      const q = await slurm('squeue', ['-h', '-t', 'all', '-j', js[0]!.id, '-o', '%T']);
      expect(q).toMatchObject({ exitCode: 1, stderr: 'slurm_load_jobs error: Invalid job id specified' });
    }
    const want: Record<string, [string, string, string, RegExp]> = {
      r4_reverse_words_epoch0: ['COMPLETED', '0:0', 'COMPLETED', /accuracy 0\.800/],
      r4_reverse_words_epoch1: ['COMPLETED', '0:0', 'FAILED', /inspect error: ValueError: tokenizer config not found/],
      // a success log, then exit 1: the log decides, Notes say how the job ended
      r4_reverse_words_epoch2: ['FAILED', '1:0', 'COMPLETED', /job ended FAILED \(exit code 1:0\) after inspect finished/],
      r16_reverse_words_epoch0: ['COMPLETED', '0:0', 'COMPLETED', /accuracy/],
      r16_reverse_words_epoch1: ['COMPLETED', '0:0', 'FAILED', /inspect log never finished/],
    };
    for (const [key, [slurmState, exit, status, notes]] of Object.entries(want)) {
      expect(jobs.get(key)!.map((a) => [a.state, a.exitCode]), key).toEqual([[slurmState, exit]]);
      expect(state[key]).toMatchObject({ status, job_id: jobs.get(key)![0]!.id, slurm_state: slurmState });
      expect(resultText(state[key])).toMatch(notes);
    }
    // The second poll found every job gone from squeue and asked sacct once; nothing went MISSING.
    const text = log(dir);
    expect(text).not.toMatch(/MISSING|LOST/);
    expect((text.match(/^\[.*\] STATE_CHANGE: /gm) ?? []).length).toBe(5);
  }, 180_000);
});

describe('no job_comment in accounting (most sites), MinJobAge=5', () => {
  beforeAll(async () => {
    await clusterMode(['--no-job-comment', '--min-job-age', '5']);
  });

  it("sbatch's answer lost after the job was accepted, the job gone from squeue: found by its SubmitLine, submitted once", async () => {
    const since = new Date(Date.now() - 2000);
    const dir = join(work.root, 'lost_answer');
    makeExperiment(dir, { fixture: 'with-status-tables', evals: [{ run: 'r4', task: 'reverse_words', epoch: 0 }], seconds: 1 });
    // The real sbatch, whose first answer is lost on the way back (the controller accepted the job).
    const shim = join(work.root, 'lost-answer-bin');
    mkdirSync(shim, { recursive: true });
    const sbatch = (await slurm('bash', ['-c', 'command -v sbatch'])).stdout.trim();
    writeFileSync(
      join(shim, 'sbatch'),
      `#!/bin/bash\nout=$(${sbatch} "$@") || exit $?\nif [ ! -e "$0.lost" ]; then touch "$0.lost"; echo 'sbatch: error: Batch job submission failed: Socket timed out on send/recv operation' >&2; exit 1; fi\necho "$out"\n`,
      { mode: 0o755 },
    );
    const started = Date.now();
    const once = await cli(['run', dir, '--once', '--poll-interval', '1', '--stagger', '0'], { env: { PATH: `${shim}:${userEnv().PATH}` } });
    expect(once.stderr).not.toMatch(/internal error/);
    expect(evalState(dir).r4_reverse_words_epoch0).toMatchObject({ status: 'SUBMITTING', job_id: null });
    const [job] = await settledJobsUnder(dir, since);
    expect(job!.comment).toBe(''); // sacct has no Comment here
    await waitFor('the job to leave squeue (MinJobAge)', async () => ((await slurm('squeue', ['-h', '-t', 'all', '-j', job!.id])).exitCode !== 0 ? true : undefined), 60_000, 1000);
    await sleep(Math.max(0, started + 31_000 - Date.now())); // past the reconcile window
    const r = await cli(['run', dir, '--poll-interval', '1', '--stagger', '0']);
    expect(r.stderr).not.toMatch(/internal error/);
    expect(r.exitCode).toBe(0);
    expect((await settledJobsUnder(dir, since)).map((a) => a.id)).toEqual([job!.id]);
    expect(evalState(dir).r4_reverse_words_epoch0).toMatchObject({ status: 'COMPLETED', job_id: job!.id });
    expect(log(dir)).toMatch(new RegExp(`RECONCILE: r4/reverse_words/epoch0\\nDetails: .*\\nResult: Job ID ${job!.id}`));
  }, 240_000);
});

describe('accounting disabled (no slurmdbd): squeue -t all and the inspect logs instead of sacct', () => {
  beforeAll(async () => {
    await clusterMode(['--no-accounting']);
    const r = await slurm('sacct', ['-X', '-n', '-P', '-j', '1']);
    expect(r).toMatchObject({ exitCode: 1, stderr: 'Slurm accounting storage is disabled' });
  });

  it('MinJobAge 300: the ended jobs stay in squeue -t all, which tells FAILED and TIMEOUT', async () => {
    const dir = join(work.root, 'words_noacct');
    const exp = makeExperiment(dir, {
      fixture: 'with-status-tables',
      evals: words,
      seconds: 1,
      outcomes: { r4_reverse_words_epoch1: 'error', r4_reverse_words_epoch2: 'exit1', r16_reverse_words_epoch1: 'hang' },
    });
    editEvalScript(join(dir, 'r16', 'eval', 'reverse_words_epoch1.slurm'), { time: '1' });
    const r = await cli(['run', dir, '--poll-interval', '3', '--stagger', '0'], { timeoutMs: 200_000 });
    expect(r.stderr).not.toMatch(/internal error/);
    expect(r.exitCode).toBe(1);
    const q = await squeueAll();
    const state = evalState(dir);
    const want: Record<string, [string, string]> = {
      r4_reverse_words_epoch0: ['COMPLETED', 'COMPLETED'],
      r4_reverse_words_epoch1: ['COMPLETED', 'FAILED'],
      r4_reverse_words_epoch2: ['FAILED', 'COMPLETED'], // its log is a success: the log decides
      r16_reverse_words_epoch0: ['COMPLETED', 'COMPLETED'],
      r16_reverse_words_epoch1: ['TIMEOUT', 'TIMEOUT'],
    };
    const tags = tagsOf(dir);
    for (const [key, [slurmState, status]] of Object.entries(want)) {
      const ours = [...q.entries()].filter(([, v]) => v.comment === tags.evalOf(key));
      expect(ours.map(([id, v]) => [id, v.state]), `squeue -t all for ${key}`).toEqual([[state[key].job_id, slurmState]]);
      expect(state[key]).toMatchObject({ status, slurm_state: slurmState });
    }
    expect(state.r4_reverse_words_epoch1.notes).toMatch(/inspect error: ValueError/);
    expect(exp.keys.every((k) => state[k].job_id)).toBe(true);
    const text = log(dir);
    expect((text.match(/WARNING: SLURM accounting storage is disabled/g) ?? []).length).toBe(1);
    expect(text).not.toMatch(/MISSING|LOST/);
  }, 240_000);

  describe('with MinJobAge=5 too', () => {
    beforeAll(async () => {
      await clusterMode(['--no-accounting', '--min-job-age', '5']);
    });

    it('purged jobs are judged by their inspect logs; a job that left no finished log is LOST after --lost-after', async () => {
      const dir = join(work.root, 'words_noacct_purge');
      const exp = makeExperiment(dir, {
        fixture: 'with-status-tables',
        evals: words,
        seconds: 1,
        outcomes: { r4_reverse_words_epoch1: 'error', r4_reverse_words_epoch2: 'exit1', r16_reverse_words_epoch1: 'crash' },
      });
      const r = await cli(['run', dir, '--poll-interval', '15', '--stagger', '0', '--lost-after', '20'], { timeoutMs: 200_000 });
      expect(r.stderr).not.toMatch(/internal error/);
      expect(r.exitCode).toBe(1);
      const state = evalState(dir);
      for (const key of exp.keys) {
        // gone from the controller: SLURM itself can no longer say anything about them
        const q = await slurm('squeue', ['-h', '-t', 'all', '-j', state[key].job_id, '-o', '%T']);
        expect(q).toMatchObject({ exitCode: 1, stderr: 'slurm_load_jobs error: Invalid job id specified' });
      }
      expect(state.r4_reverse_words_epoch0.status).toBe('COMPLETED');
      expect(state.r16_reverse_words_epoch0.status).toBe('COMPLETED');
      expect(state.r4_reverse_words_epoch1).toMatchObject({ status: 'FAILED' });
      expect(state.r4_reverse_words_epoch1.notes).toMatch(/inspect error: ValueError/);
      // exit 1 after a successful inspect log: the log decides
      expect(state.r4_reverse_words_epoch2.status).toBe('COMPLETED');
      expect(state.r16_reverse_words_epoch1).toMatchObject({ status: 'LOST' });
      expect(state.r16_reverse_words_epoch1.notes).toMatch(/vanished from squeue and sacct/);
      const text = log(dir);
      expect(text).toMatch(/STATE_CHANGE: r16\/reverse_words\/epoch1\nPrevious: \w+\nCurrent: MISSING[\s\S]*Current: LOST/);
      expect(existsSync(join(dir, 'eval_jobs.json'))).toBe(true);
      expect(readJson(join(dir, 'eval_jobs.json')).monitor.finished).not.toBeNull();
    }, 240_000);
  });
});
