#!/usr/bin/env node
// A stand-alone passthrough mount over a directory (stacked on itself), for tests and benchmarks
// of the FUSE layer without a module around it:
//
//   node dist/src/fuse/serve.js DIR [--trace] [--copy COPYDIR]
//                                   [--replicate HOST:PORT --etc ETC --node NAME --peer NAME]
//
// Prints "READY" once mounted; with --trace, one JSON line per mutation (write data as its length);
// with --copy, applies every mutation to COPYDIR as it happens (a local stand-in for the secondary);
// with --replicate, sends them to a ReplicaServer and answers each request once the peer applied
// it (the node certificate of NAME from ETC's cluster CA). If the connection is lost this tool goes
// on alone and says so; the module runtime, not this tool, bumps the data generation first.
// SIGTERM or SIGINT unmounts and exits; an unmount by someone else ends it too.

import { openSync, constants } from 'node:fs';
import { resolve } from 'node:path';
import { FuseSession } from './session.js';
import type { Mutation } from './passthrough.js';
import { CopyApplier } from '../replication/apply.js';
import { ReplicaClient } from '../replication/link.js';
import { nodeCredentials } from '../daemon/pki.js';

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const valueOf = (flag: string): string | undefined => { const i = args.indexOf(flag); return i >= 0 ? args[i + 1] : undefined; };
  const copyDir = valueOf('--copy');
  const copy = copyDir ? new CopyApplier(resolve(copyDir)) : null;
  const values = new Set(['--copy', '--replicate', '--etc', '--node', '--peer'].map((f) => args.indexOf(f) + 1).filter((i) => i > 0));
  const dir = args.find((a, i) => !a.startsWith('--') && !values.has(i));
  if (!dir) {
    process.stderr.write('usage: serve.js DIR [--trace] [--copy COPYDIR]\n');
    process.exit(2);
  }
  const trace = args.includes('--trace');
  const mountpoint = resolve(dir);
  // the directory underneath, kept open before the mount covers it; "/." because lstat of the bare
  // /proc/self/fd link would describe the link, and the kernel would mark our root bad (RECIPES §1b)
  const dirfd = openSync(mountpoint, constants.O_RDONLY | constants.O_DIRECTORY);
  process.umask(0); // modes come from the callers (with their umask applied), not from ours
  const target = valueOf('--replicate');
  let replica: ReplicaClient | null = null;
  if (target) {
    const [host, port] = [target.slice(0, target.lastIndexOf(':')), Number(target.slice(target.lastIndexOf(':') + 1))];
    replica = new ReplicaClient({
      credentials: nodeCredentials(valueOf('--etc') ?? '', valueOf('--node') ?? ''), secondary: valueOf('--peer') ?? '', ackTimeoutMs: 30_000,
      onLost: (reason) => process.stderr.write(`replication lost (${reason}): going on alone\n`),
    });
    await replica.connect(host, port);
  }
  const options = {
    root: `/proc/${process.pid}/fd/${dirfd}/.`,
    onMutation: (m: Mutation) => {
      if (trace) process.stdout.write(`${JSON.stringify(m, (k, v) => (k === 'data' ? (v as { data: number[] }).data.length : typeof v === 'bigint' ? String(v) : v))}\n`);
      try {
        copy?.apply(m);
      } catch (e) {
        process.stderr.write(`copy: ${m.op} failed: ${(e as Error).message}\n`);
      }
      return replica?.connected ? replica.send(m).catch(() => undefined) : undefined;
    },
    log: (text: string) => process.stderr.write(`${text}\n`),
  };
  const session = await FuseSession.mount(mountpoint, { fsname: 'tandem' });
  const stop = () => void session.unmount().then(() => process.exit(0));
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  process.stdout.write('READY\n');
  const why = await session.serve(options);
  process.stderr.write(`unmounted (${why}); requests: ${JSON.stringify(session.counts)}\n`);
  process.exit(0);
}

main().catch((e: Error) => { process.stderr.write(`serve: ${e.message}\n`); process.exit(1); });
