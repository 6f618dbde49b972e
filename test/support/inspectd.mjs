// The fake `inspect` as a service: one node process per temp dir runs every fake evaluation, each
// asked for by a bash client (inspect-client.bash) that stands in for inspect's process. An eval
// then costs a bash process instead of a node start (~130 ms of CPU; a test suite runs hundreds).
//
// The client is the process SLURM sees: what the eval prints reaches it as it is printed, its
// exit code is the eval's, and when it is killed (scancel, a time limit) the eval stops at once,
// as inspect would. The eval reads the client's environment and working directory (/proc).
//   node inspectd.mjs PORT_FILE     (started by the first client that finds none)
import { readlinkSync } from 'node:fs';
import { listPort, requestServer, unlistPort } from '../../fake-slurm/lib/port-file.mjs';
import { environOf } from '../../fake-slurm/lib/procs.mjs';
import { fakeInspectCli } from './fake-inspect.mjs';
import { main as inspectCli } from './scaffold/inspect-cli.mjs';

const IDLE_MS = 30_000;
const portFile = process.argv[2];
/** What a client may ask for: `inspect eval ...` (fake-bin/inspect), or fake-inspect.mjs's flags. */
const MODES = { cli: inspectCli, flags: fakeInspectCli };

let running = 0;
let lastDone = Date.now();

/** `pid\0mode\0argc\0arg...\0`: the fields once all of them have arrived, else null. */
function request(buf) {
  const fields = buf.toString('utf8').split('\0');
  fields.pop(); // what follows the last NUL: empty, or a field still arriving
  if (fields.length < 3 || fields.length < 3 + Number(fields[2])) return null;
  return { pid: Number(fields[0]), mode: fields[1], argv: fields.slice(3, 3 + Number(fields[2])) };
}

async function serve(sock, req) {
  const stop = new AbortController();
  sock.on('close', () => stop.abort()); // the client was killed: so is its eval
  const send = (kind, text) => {
    if (!text || sock.destroyed) return;
    const bytes = Buffer.from(text);
    sock.write(Buffer.concat([Buffer.from(`${kind} ${bytes.length}\n`), bytes]));
  };
  let code = 1;
  try {
    const io = { env: environOf(req.pid), cwd: readlinkSync(`/proc/${req.pid}/cwd`), out: (t) => send('o', t), err: (t) => send('e', t), signal: stop.signal };
    code = await MODES[req.mode](req.argv, io);
  } catch (e) {
    if (stop.signal.aborted) return;
    send('e', `inspect: ${e && e.stack ? e.stack : e}\n`);
  }
  if (!sock.destroyed) sock.end(`x ${code}\n`);
}

const server = requestServer(request, (sock, req) => {
  if (!MODES[req.mode]) return void sock.end('x 2\n');
  running++;
  serve(sock, req).finally(() => {
    running--;
    lastDone = Date.now();
  });
});

// Two clients may start two: each lists itself (rename is atomic) and the one not listed gets no
// requests and idles out.
server.listen(0, '127.0.0.1', () => listPort(portFile, server.address().port));

const idle = setInterval(() => {
  if (running || Date.now() - lastDone < IDLE_MS) return;
  clearInterval(idle);
  unlistPort(portFile);
  server.close();
}, 1000);
