// Shared entry point for the commands: run one, map errors to Slurm-like exits. A command runs
// in a process of its own (bin/ without slurmctld) or in a slurmctld worker for a caller
// (callerIo), so it writes through out/err and reads its caller's stdin through readStdin.
import { readFileSync } from 'node:fs';
import { checkFault } from './faults.mjs';
import { getopt, lastValues, UsageError } from './getopt.mjs';

let io = { out: (s) => process.stdout.write(s), err: (s) => process.stderr.write(s), stdin: 0 };

export const out = (s) => io.out(s);
export const err = (s) => io.err(s.endsWith('\n') ? s : s + '\n');
/**
 * A slurmctld worker cannot read its caller's stdin when it is a socket (node's child_process
 * makes stdio pipes of socketpairs, and /proc/PID/fd/0 cannot open those): the command must run in
 * the caller's own process instead. Thrown before the command has changed anything.
 */
export class OwnProcessNeeded extends Error {}

/** The caller's stdin, whole (sbatch's script, `-` for a file of ids or specs). */
export function readStdin(encoding) {
  try {
    return readFileSync(io.stdin, encoding);
  } catch (e) {
    if (e.code === 'ENXIO' && typeof io.stdin === 'string') throw new OwnProcessNeeded(`${io.stdin} is a socket`);
    throw e;
  }
}

/** Where out/err go and where stdin is, for the commands run next (slurmctld's workers). */
export function callerIo(next) {
  io = next;
}

/** fn(argv) returns the exit code (or a promise of it); resolves to the code to exit with. */
export async function execute(prog, fn, argv) {
  try {
    return (await fn(argv)) ?? 0;
  } catch (e) {
    if (e instanceof OwnProcessNeeded) throw e;
    if (e instanceof UsageError) {
      err(e.message);
      err(`Try "${prog} --help" for more information`);
    } else {
      err(`${prog}: error: ${e && e.message ? e.message : e}`);
      if (process.env.FAKE_SLURM_DEBUG) err(String(e && e.stack));
    }
    return 1;
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
