// Mirror heartbeats on the wire: one UDP socket per <heartbeat> network, bound to this node's
// address on that network at the module's heartbeat port (8888 + id − 1), sending to the peer's
// address there. Frames are sealed (src/protocol/sealed.ts) with a key derived from the module
// key, so a forged or foreign frame is dropped and counted. The sockets live in a thread of their
// own (heartbeat-worker.ts, which says why and what it promises); this is the main thread's side.

import { Worker } from 'node:worker_threads';
import type { ClusterConfig } from '../shared/config.js';
import { unbracket } from '../config/net.js';
import type { MirrorHeartbeat } from '../core/mirror/types.js';
import type { ArrivalStats, FromHeartbeatWorker, HeartbeatWorkerData, ToHeartbeatWorker } from './heartbeat-worker.js';

export type { ArrivalStats } from './heartbeat-worker.js';

/** A node's address on a lan of cluster.xml (IPv6 without its brackets), for binding and sending. */
export function addressOn(cluster: ClusterConfig, lan: string, node: string): string {
  const a = cluster.lans.find((l) => l.name === lan)?.nodes.find((n) => n.name === node)?.addr;
  if (!a) throw new Error(`node ${node} is not on lan "${lan}" of cluster.xml`);
  return unbracket(a);
}

export interface HeartbeatLink { readonly ident: string; readonly lan: string; readonly pulseMs: number; readonly timeoutMs: number }

export interface HeartbeatTransportOptions {
  readonly module: string;
  readonly node: string;
  readonly peer: string;
  readonly cluster: ClusterConfig;
  readonly links: readonly HeartbeatLink[];
  readonly port: number;
  /** The module key, or null when the module has none (unauthenticated; docs/decisions/0008). */
  readonly moduleKey: Buffer | null;
  readonly incarnation: number;
  /** This node's applied configuration signature: carried in every frame, compared on receipt. */
  readonly configSignature: string;
  /** The peer runs another configuration of the module (called once per signature it shows). */
  readonly onOtherConfig: (ident: string, signature: string) => void;
  /** An authentic heartbeat of the peer, newer than any before it on that network. */
  readonly onHeartbeat: (ident: string, message: MirrorHeartbeat) => void;
  /** A frame that failed authentication or came from someone else: dropped, counted, reason once. */
  readonly onRejected: (ident: string, from: string, reason: string) => void;
}

/**
 * How long the heartbeat thread repeats the newest heartbeat while the main thread sends none:
 * twice the longest heartbeat timeout. A main thread held up (an fsync on a saturated disk) for
 * less keeps the peer; one stuck for good is lost by the peer within three timeouts.
 */
export const holdMs = (links: readonly HeartbeatLink[]): number => 2 * Math.max(...links.map((l) => l.timeoutMs));

export class HeartbeatTransport {
  private worker: Worker | null = null;
  private readonly arrivals = new Map<string, ArrivalStats>();

  constructor(private readonly o: HeartbeatTransportOptions) {}

  /** Binds every network's socket (in the heartbeat thread); rejects naming the one that cannot be. */
  async start(): Promise<void> {
    const o = this.o;
    const workerData: HeartbeatWorkerData = {
      module: o.module, node: o.node, peer: o.peer, port: o.port, incarnation: o.incarnation, configSignature: o.configSignature,
      moduleKey: o.moduleKey ? new Uint8Array(o.moduleKey) : null, holdMs: holdMs(o.links),
      links: o.links.map((l) => ({ ident: l.ident, local: addressOn(o.cluster, l.lan, o.node), peerAddr: addressOn(o.cluster, l.lan, o.peer), pulseMs: l.pulseMs })),
    };
    const worker = new Worker(new URL('./heartbeat-worker.js', import.meta.url), { workerData });
    this.worker = worker;
    await new Promise<void>((resolve, reject) => {
      worker.once('error', reject);
      worker.once('exit', (code) => reject(new Error(`the heartbeat thread ended (exit ${code})`)));
      worker.on('message', (m: FromHeartbeatWorker) => {
        switch (m.type) {
          case 'ready': return resolve();
          case 'fatal': return reject(new Error(m.message));
          case 'heartbeat': this.arrivals.set(m.ident, m.stats); return o.onHeartbeat(m.ident, m.body);
          case 'rejected': return o.onRejected(m.ident, m.from, m.reason);
          case 'otherConfig': return o.onOtherConfig(m.ident, m.signature);
        }
      });
    }).catch(async (e: Error) => { await worker.terminate(); this.worker = null; throw e; });
  }

  send(idents: readonly string[], message: MirrorHeartbeat): void {
    this.worker?.postMessage({ type: 'send', idents, body: message } satisfies ToHeartbeatWorker);
  }

  /** Arrival regularity per heartbeat network that has received something. */
  stats(): Record<string, ArrivalStats> {
    return Object.fromEntries(this.arrivals);
  }

  /** Ends the thread; its sockets close with it. */
  stop(): void {
    void this.worker?.terminate();
    this.worker = null;
  }
}
