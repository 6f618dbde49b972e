// A slurmctld worker thread: runs one caller's command at a time, as its own process would have
// (its arguments, environment, working directory and stdin), and posts back what it printed.
import { parentPort } from 'node:worker_threads';
import { callerIo, OwnProcessNeeded } from './cli.mjs';
import { command } from './main.mjs';

parentPort.on('message', async ({ name, argv, env, cwd, stdin }) => {
  // This thread's process.env and process.cwd are its own: the main thread and other workers keep theirs.
  for (const k of Object.keys(process.env)) delete process.env[k];
  Object.assign(process.env, env);
  process.cwd = () => cwd;
  let stdout = '';
  let stderr = '';
  callerIo({ out: (s) => (stdout += s), err: (s) => (stderr += s), stdin });
  try {
    parentPort.postMessage({ code: await command(name, argv), stdout, stderr });
  } catch (e) {
    if (!(e instanceof OwnProcessNeeded)) throw e;
    parentPort.postMessage({ code: 'run-here', stdout: '', stderr: '' });
  }
});
