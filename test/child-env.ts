// What every process the tests start inherits (workers, the bundle, fake-slurm, inspectd).
// NODE_EXTRA_CA_CERTS (set on some machines, these VMs among them) makes node parse every
// certificate of that file at each start: ~45 of ~110 ms of CPU for a bare `node -e 0`, over the
// suite's many hundreds of node starts. Nothing the tests run opens a TLS connection.
export function setup(): void {
  delete process.env.NODE_EXTRA_CA_CERTS;
}
