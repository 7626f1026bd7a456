#!/usr/bin/env node
// The replicator process of one mirror module (docs/decisions/0010): forked by the module runtime,
// it owns the FUSE mounts and the replication connection, so that file-system work never delays
// the runtime's heartbeats and a replication fault can be told apart from a module fault.
//
// IPC with the runtime: { init: ReplicatorOptions without emit } first, then { id, command } →
// { id, ok, result } | { id, error }; events go up as { event }. When the runtime goes away, the
// replicator freezes the changes (the application must not keep writing under a mount nobody
// replicates, nor to the directory underneath) until SIGTERM ends it without unmounting.

import { Replicator, type ReplicatorCommand, type ReplicatorOptions } from './replicator.js';

let replicator: Replicator | null = null;
let chain: Promise<void> = Promise.resolve();

const send = (m: unknown) => { if (process.connected) process.send?.(m); };

process.on('message', (msg: { init?: Omit<ReplicatorOptions, 'emit'>; id?: number; command?: ReplicatorCommand }) => {
  if (msg.init) {
    try {
      replicator = new Replicator({ ...msg.init, emit: (event) => send({ event }) });
      send({ ready: true });
    } catch (e) {
      send({ fatal: (e as Error).message });
      process.exit(1);
    }
    return;
  }
  const { id, command } = msg;
  if (id === undefined || !command) return;
  // commands run one after the other, each to its end (a role change mounts or unmounts)
  const run = () => replicator!.command(command).then((result) => send({ id, ok: true, result }), (e: Error) => send({ id, error: e.message }));
  // role changes run one after the other, each to its end (they mount and unmount); the reports
  // (verify, diff) run beside them, so a long rfsverify never delays a failover
  if (command.type === 'verify' || command.type === 'diff') void run();
  else chain = chain.then(run);
});

// The module process went away (killed, or ended without stopping us): freeze, and wait for the
// SIGTERM of the next module process (replication-port.ts stops a replicator left behind).
process.on('disconnect', () => {
  chain = chain.then(() => replicator?.command({ type: 'orphaned' })).then(() => undefined);
});
process.on('SIGTERM', () => {
  void chain.then(() => replicator?.command({ type: 'shutdown' })).finally(() => process.exit(0));
});
