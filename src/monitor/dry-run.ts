// `run --dry-run`: what a run would do with each eval, and nothing done.
import { evalLabel, type EvalSpec, type UnscriptedEval } from '../domain.js';
import { checkModel } from '../experiment/checkpoints.js';
import type { Design } from '../experiment/design.js';
import { readState } from '../state/store.js';
import type { Monitor } from './context.js';

export async function planText(m: Monitor, design: Design, evals: EvalSpec[], unscripted: UnscriptedEval[]): Promise<string> {
  const state = await readState(m.layout.state);
  const lines = [`Plan for "${design.title}" (${evals.length} evaluations; dry run: nothing submitted or written)`];
  for (const spec of evals) {
    const known = state?.evaluations[spec.key];
    let action: string;
    if (known && known.status !== 'NOT_SUBMITTED' && known.status !== 'NO_SCRIPT') action = `${known.status}${known.job_id ? ` (job ${known.job_id})` : ''}: nothing to do`;
    else {
      const ck = await checkModel(spec);
      action = ck.ok ? `submit: sbatch ${spec.script}${spec.modelPath ? ` (model ${spec.modelPath})` : ''}` : `skip: ${ck.reason}`;
      if (!spec.inDesign) action += ' [not planned in the design]';
    }
    lines.push(`  ${evalLabel(spec)}  ${action}`);
  }
  for (const u of unscripted) lines.push(`  ${evalLabel(u)}  NO_SCRIPT: planned in the design, no script at ${u.expected}`);
  return `${lines.join('\n')}\n`;
}
