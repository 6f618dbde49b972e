// The monitor's job script: slurm/run-inspect.sbatch, embedded in the bundle at build time so
// `dist/run-inspect.mjs` can launch with nothing beside it (the script goes to sbatch on stdin).
import { readFileSync } from 'node:fs';

declare const __MONITOR_TEMPLATE__: string | undefined;

function template(): string {
  if (typeof __MONITOR_TEMPLATE__ === 'string') return __MONITOR_TEMPLATE__;
  return readFileSync(new URL('../../slurm/run-inspect.sbatch', import.meta.url), 'utf8');
}

/**
 * The monitor job's defaults, as the template's `#SBATCH --name=value` lines declare them (a user who
 * sbatches the script gets the same): `launch` and its usage text read them here.
 */
export interface LaunchDefaults {
  time: string;
  mem: string;
  nice: string;
  /** Seconds before the walltime SLURM sends USR1 (`--signal=B:USR1@N`): the hand-off warning. */
  signalLeadS: number;
}

export function launchDefaults(): LaunchDefaults {
  const line = (name: string) => new RegExp(`^#SBATCH --${name}=(\\S+)`, 'm').exec(template())?.[1];
  const lead = Number(/@(\d+)$/.exec(line('signal') ?? '')?.[1]);
  const [time, mem, nice] = [line('time'), line('mem'), line('nice')];
  if (!time || !mem || !nice || !Number.isFinite(lead)) throw new Error('slurm/run-inspect.sbatch lacks a --time, --mem, --nice or --signal=B:USR1@N line');
  return { time, mem, nice, signalLeadS: lead };
}

/** Single-quoted for bash: safe for any path or argument, metacharacters included. */
function shellQuote(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

/** The template with the absolute node binary, the bundle and the run arguments written in. */
export function renderMonitorScript(node: string, bundle: string, args: string[]): string {
  return template()
    .replace(/^NODE=.*$/m, `NODE=${shellQuote(node)}`)
    .replace(/^BUNDLE=.*$/m, `BUNDLE=${shellQuote(bundle)}`)
    .replace(/^ARGS=.*$/m, `ARGS=(${args.map(shellQuote).join(' ')})`);
}
