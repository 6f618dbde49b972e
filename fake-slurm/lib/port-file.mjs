// A localhost service named in a port file ("PORT PID"): slurmctld.mjs, and the tests' fake
// inspect service (test/support/inspectd.mjs). Its clients are bash: they read the file and
// connect to /dev/tcp/127.0.0.1/PORT (service.bash).
import { readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';

/**
 * A server that reads each connection's request until `parse` makes one of what has arrived (null
 * until then), and hands it to `onRequest` with the socket to answer on.
 */
export function requestServer(parse, onRequest) {
  return createServer((sock) => {
    let buf = Buffer.alloc(0);
    sock.on('error', () => undefined);
    const onData = (d) => {
      buf = Buffer.concat([buf, d]);
      const req = parse(buf);
      if (!req) return;
      sock.off('data', onData);
      onRequest(sock, req);
    };
    sock.on('data', onData);
  });
}

/** Names this process's port in the file. Two starting at once: the last to rename is listed. */
export function listPort(file, port) {
  writeFileSync(`${file}.${process.pid}`, `${port} ${process.pid}\n`);
  renameSync(`${file}.${process.pid}`, file);
}

/** The pid the file names, or null when there is none. */
export function listedPid(file) {
  try {
    return Number(readFileSync(file, 'utf8').split(' ')[1]) || null;
  } catch {
    return null;
  }
}

/** Removes the file if it still names this process (a newer one may have listed itself since). */
export function unlistPort(file) {
  if (listedPid(file) === process.pid) rmSync(file, { force: true });
}
