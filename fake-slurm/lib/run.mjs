// A command in a process of its own: what a bin/ shim runs when no slurmctld answers it, or with
// FAKE_SLURM_NO_SLURMCTLD=1.
//   node run.mjs COMMAND [ARG...]
import { command } from './main.mjs';

const [name, ...argv] = process.argv.slice(2);
process.exitCode = await command(name, argv);
