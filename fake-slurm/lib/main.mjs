// The commands by name: run.mjs (a process of its own) and slurmctld's workers run them.
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
