// The fake's slurmctld: one process per temp dir answers the bin/ shims (bash, see shim.bash) of
// every state dir over localhost TCP, so a squeue costs a bash process instead of a node one
// (~100 ms of CPU to start), and a test suite's hundred clusters start one node, not a hundred.
// Each request runs in a worker thread with the caller's arguments, environment (FAKE_SLURM_DIR:
// which cluster), working directory and stdin (read from /proc/<caller>/...), through the same
// command code as run.mjs. Started by the first shim that finds none; exits after IDLE_MS without
// a request, or once another one is listed in the port file and nothing is in flight here.
//   node slurmctld.mjs PORT_FILE
import { readlinkSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import { listedPid, listPort, requestServer, unlistPort } from './port-file.mjs';
import { environOf } from './procs.mjs';

const IDLE_MS = 30_000;
const SPARE_WORKERS = 4;
const WORKER = new URL('./ctld-worker.mjs', import.meta.url);
const portFile = process.argv[2];

/** Workers waiting for a request; each runs one request at a time (a command may block its thread). */
const spare = [];
let lastRequest = Date.now();
let inFlight = 0;
let closing = false;

/** [pid, stdin, command, argc, ...args], each NUL-terminated; null until all of it has arrived. */
function parseRequest(buf) {
  const fields = [];
  let at = 0;
  for (let nul = buf.indexOf(0, at); nul !== -1; nul = buf.indexOf(0, at)) {
    fields.push(buf.toString('utf8', at, nul));
    at = nul + 1;
    if (fields.length >= 4 && fields.length === 4 + Number(fields[3])) {
      return { pid: Number(fields[0]), stdin: fields[1], name: fields[2], argv: fields.slice(4) };
    }
  }
  return null;
}

/**
 * What the caller's own process would have had: its environment, working directory and stdin
 * (unless it handed that over as a file of its own).
 */
function callerContext(req) {
  return { ...req, env: environOf(req.pid), cwd: readlinkSync(`/proc/${req.pid}/cwd`), stdin: req.stdin || `/proc/${req.pid}/fd/0` };
}

function newWorker() {
  const w = new Worker(WORKER);
  w.on('error', () => spare.includes(w) && spare.splice(spare.indexOf(w), 1)); // a crashed worker is not reused
  return w;
}

function runInWorker(ctx) {
  const w = spare.pop() ?? newWorker();
  return new Promise((resolve) => {
    const onError = (e) => {
      w.off('message', onMessage);
      resolve({ code: 1, stdout: '', stderr: `${ctx.name}: error: ${e && e.message ? e.message : e}\n` });
    };
    const onMessage = (result) => {
      w.off('error', onError);
      if (!closing && spare.length < SPARE_WORKERS) spare.push(w);
      else w.terminate();
      resolve(result);
    };
    w.once('message', onMessage);
    w.once('error', onError);
    w.postMessage(ctx);
  });
}

async function serve(sock, req) {
  lastRequest = Date.now();
  let ctx;
  try {
    ctx = callerContext(req);
  } catch {
    sock.destroy(); // the caller is gone
    return;
  }
  inFlight++;
  const { code, stdout, stderr } = await runInWorker(ctx).finally(() => inFlight--);
  lastRequest = Date.now();
  const out = Buffer.from(stdout);
  const err = Buffer.from(stderr);
  sock.end(Buffer.concat([Buffer.from(`${code} ${err.length} ${out.length}\n`), err, out]));
}

const server = requestServer(parseRequest, serve);

// Commands that found none at the same moment each start one: the last listed serves, the
// others stop below.
server.listen(0, '127.0.0.1', () => listPort(portFile, server.address().port));

const check = setInterval(() => {
  const replaced = listedPid(portFile) !== process.pid;
  if (inFlight || (!replaced && Date.now() - lastRequest < IDLE_MS)) return;
  closing = true;
  clearInterval(check);
  // Unlisted first: a command that finds this one closed starts a new one.
  unlistPort(portFile);
  server.close();
  for (const w of spare.splice(0)) w.terminate();
}, 1000);
