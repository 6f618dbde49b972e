// A command in a process of its own: what a bin/ shim runs when no slurmctld answers it. Starts
// one afterwards, so the next command is answered without starting node.
//   node run.mjs COMMAND [ARG...]
import { ensureSlurmctld } from './ctld.mjs';
import { command } from './main.mjs';

const [name, ...argv] = process.argv.slice(2);
process.exitCode = await command(name, argv);
if (process.env.FAKE_SLURM_NO_SLURMCTLD !== '1') {
  try {
    ensureSlurmctld();
  } catch {
    /* the answer is given; a slurmctld is only a speed-up */
  }
}
