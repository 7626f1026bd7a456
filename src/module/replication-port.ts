// The module runtime's side of its replicator process (src/replication/replicator-main.ts,
// docs/decisions/0010): forks it, hands it the module's replicated directories and addresses, sends
// it role changes (awaited: the mount is in place before start_prim runs) and passes its events
// up. A replicator that dies while this node is primary is a replication failure (decision 0011).
// Every `checkintv` it asks each replicated directory for its attributes (SafeKit's null request);
// a mount that does not answer within `checktime` is served by a hung replicator, which is killed:
// the failure path follows (a new replicator, and a stopstart on the primary).

import { fork, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import { join } from 'node:path';
import type { ClusterConfig, ModuleConfig } from '../shared/config.js';
import type { Generation } from '../shared/generation.js';
import { nodeCredentials } from '../daemon/pki.js';
import { addressOn } from './heartbeat-transport.js';
import type { ReplicatorCommand, ReplicatorEvent, ReplicatorOptions } from '../replication/replicator.js';

export interface ReplicationPortOptions {
  readonly config: ModuleConfig;
  readonly node: string;
  readonly peer: string;
  readonly cluster: ClusterConfig;
  readonly etc: string;
  /** The module's state directory (var/lib/tandem/modules/AM). */
  readonly stateDir: string;
  /** Where the replicator's pid is kept, so that a new runtime can stop a replicator left by a killed one. */
  readonly pidFile: string;
  /** Where the replicator keeps the side paths of the directories (run/tandem/rfs/AM). */
  readonly sideDir: string;
  readonly onEvent: (e: ReplicatorEvent | { type: 'exited'; reason: string }) => void;
}

export class ReplicationPort {
  private child: ChildProcess | null = null;
  private nextId = 1;
  private readonly waiting = new Map<number, { resolve: (result: unknown) => void; reject: (e: Error) => void }>();
  private stopping = false;
  private probeTimer: NodeJS.Timeout | null = null;
  private probing = false;

  constructor(private readonly o: ReplicationPortOptions) {}

  /** The null request: a stat of each replicated directory, through its mount, in libuv's pool. */
  private probe(child: ChildProcess): void {
    if (this.probing || this.child !== child) return;
    const { replicated, checktimeMs } = this.o.config.rfs!;
    this.probing = true;
    let answered = false;
    const timer = setTimeout(() => {
      if (answered || this.child !== child) return;
      this.o.onEvent({ type: 'log', level: 'C', text: `A replicated directory did not answer a null request within ${checktimeMs} ms: the replicator is hung, it is stopped (checktime)` });
      child.kill('SIGKILL');
    }, checktimeMs);
    void Promise.allSettled(replicated.map((d) => fs.promises.stat(d.dir))).then(() => {
      answered = true;
      clearTimeout(timer);
      this.probing = false;
    });
  }

  async start(): Promise<void> {
    await this.stopStale();
    const { config, cluster, node, peer } = this.o;
    const rfs = config.rfs!;
    const port = config.ports.rfs!;
    const flowLan = rfs.flowLan ?? cluster.lans[0]?.name ?? ''; // the lan carrying the replication
    const init: Omit<ReplicatorOptions, 'emit'> = {
      module: config.name, peer, dirs: rfs.replicated, stateFile: join(this.o.stateDir, 'rfs-state.json'), sideDir: this.o.sideDir,
      credentials: nodeCredentials(this.o.etc, node),
      listen: { host: addressOn(cluster, flowLan, node), port },
      peerAddr: { host: addressOn(cluster, flowLan, peer), port },
      // a change unacknowledged this long drops the secondary: sendtimeout, or locktimeout if shorter (docs/replication.md)
      ackTimeoutMs: Math.min(rfs.sendtimeoutMs, rfs.locktimeoutMs), async: rfs.async, bandwidthKBs: rfs.reiallowedbwKBs, connections: rfs.nbremconn,
    };
    const child = fork(new URL('../replication/replicator-main.js', import.meta.url), [config.name], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    this.child = child;
    fs.writeFileSync(this.o.pidFile, String(child.pid));
    await new Promise<void>((resolve, reject) => {
      child.on('message', (m: { ready?: boolean; fatal?: string; id?: number; ok?: boolean; result?: unknown; error?: string; event?: ReplicatorEvent }) => {
        if (m.ready) {
          this.probeTimer = setInterval(() => this.probe(child), rfs.checkintvMs);
          resolve();
        }
        else if (m.fatal) reject(new Error(m.fatal));
        else if (m.event) this.o.onEvent(m.event);
        else if (m.id !== undefined) {
          const w = this.waiting.get(m.id);
          this.waiting.delete(m.id);
          if (m.error) w?.reject(new Error(m.error));
          else w?.resolve(m.result);
        }
      });
      child.on('exit', (code, signal) => {
        const reason = `the replicator process ended (${signal ?? `exit ${code}`})`;
        reject(new Error(reason));
        for (const w of this.waiting.values()) w.reject(new Error(reason));
        this.waiting.clear();
        this.child = null;
        if (this.probeTimer) clearInterval(this.probeTimer);
        this.probeTimer = null;
        if (!this.stopping) this.o.onEvent({ type: 'exited', reason });
      });
      child.send({ init });
    });
  }

  /** A replicator whose runtime was killed may still hold the mounts: it unmounts on SIGTERM. */
  private async stopStale(): Promise<void> {
    let pid = 0;
    try { pid = Number(fs.readFileSync(this.o.pidFile, 'utf8')); } catch { return; }
    const alive = () => { try { return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('replicator-main.js'); } catch { return false; } };
    if (!pid || !alive()) return;
    process.kill(pid, 'SIGTERM');
    for (let i = 0; i < 100 && alive(); i++) await new Promise((r) => setTimeout(r, 50));
    if (alive()) process.kill(pid, 'SIGKILL');
  }

  get running(): boolean {
    return this.child !== null;
  }

  command(command: ReplicatorCommand): Promise<unknown> {
    const child = this.child;
    if (!child) return Promise.reject(new Error('the replicator process is not running'));
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.waiting.set(id, { resolve, reject });
      child.send({ id, command });
    });
  }

  async setRole(role: 'primary' | 'secondary' | 'none', generation: Generation): Promise<void> {
    await this.command({ type: 'role', role, generation });
  }

  /** Unmounts (through the replicator's own shutdown) and waits for the process to end. */
  async stop(): Promise<void> {
    const child = this.child;
    if (!child) return;
    this.stopping = true;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGTERM');
    await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
  }
}
