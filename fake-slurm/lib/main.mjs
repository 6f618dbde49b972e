// Dispatch for the bin/ shims: each shim only names its command.
import { execute } from './cli.mjs';

const COMMANDS = {
  sbatch: async () => (await import('./sbatch.mjs')).sbatchMain,
  squeue: async () => (await import('./squeue.mjs')).squeueMain,
  sacct: async () => (await import('./sacct.mjs')).sacctMain,
  scontrol: async () => (await import('./scontrol.mjs')).scontrolMain,
  scancel: async () => (await import('./scancel.mjs')).scancelMain,
  'fake-slurm-admin': async () => (await import('./admin.mjs')).adminMain,
};

/** Runs command `name` on argv; resolves to its exit code. */
export async function command(name, argv) {
  return execute(name, await COMMANDS[name](), argv);
}

/** A bin/ shim's process: this process's arguments, stdin and exit code. */
export async function main(name) {
  process.exitCode = await command(name, process.argv.slice(2));
}
