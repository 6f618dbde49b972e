// Shared entry point for the bin/ shims: run a command, map errors to Slurm-like exits.
import { checkFault } from './faults.mjs';
import { getopt, lastValues, UsageError } from './getopt.mjs';

export const out = (s) => process.stdout.write(s);
export const err = (s) => process.stderr.write(s.endsWith('\n') ? s : s + '\n');

/** fn(argv) returns the exit code (or a promise of it). */
export async function run(prog, fn) {
  try {
    const code = await fn(process.argv.slice(2));
    process.exitCode = code ?? 0;
  } catch (e) {
    if (e instanceof UsageError) {
      err(e.message);
      err(`Try "${prog} --help" for more information`);
      process.exitCode = 1;
    } else {
      err(`${prog}: error: ${e && e.message ? e.message : e}`);
      if (process.env.FAKE_SLURM_DEBUG) err(String(e && e.stack));
      process.exitCode = 1;
    }
  }
}

/** Split "a,b,,c" into ['a','b','c']. */
export const list = (v) =>
  String(v ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);

/**
 * What every command does first: read its options as getopt does and answer `--help`/`--usage`
 * (with `usage`) and `--version`. Returns the options, or `{ exit }` when it answered.
 */
export function parseCommand(argv, spec, { prog, usage, stopAtPositional = false }) {
  const { opts, positionals } = getopt(argv, spec, { prog, stopAtPositional });
  const o = lastValues(opts);
  if (o.help || o.usage) {
    out(usage);
    return { exit: 0 };
  }
  if (o.version) {
    out(VERSION);
    return { exit: 0 };
  }
  return { o, opts, positionals };
}

export const VERSION = 'slurm 22.05.8\n';

/** A fault faults.json injects into this command, said as SLURM says it: its exit code, or null when none. */
export function faultExit(command, ctx) {
  const fault = checkFault(command, ctx);
  if (!fault) return null;
  err(fault.message);
  return fault.exitCode;
}
