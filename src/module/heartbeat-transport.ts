// Mirror heartbeats on the wire: one UDP socket per <heartbeat> network, bound to this node's
// address on that network at the module's heartbeat port (8888 + id − 1), sending to the peer's
// address there. Frames are sealed (src/protocol/sealed.ts) with a key derived from the module
// key, so a forged or foreign frame is dropped and counted; duplicates and replays are the core's
// to drop (it tracks the newest incarnation and sequence per heartbeat).

import { createSocket, type Socket } from 'node:dgram';
import type { ClusterConfig } from '../shared/config.js';
import { unbracket } from '../config/net.js';
import type { MirrorHeartbeat } from '../core/mirror/types.js';
import { deriveKey, open, seal, type SealKey } from '../protocol/sealed.js';

/** A node's address on a lan of cluster.xml (IPv6 without its brackets), for binding and sending. */
export function addressOn(cluster: ClusterConfig, lan: string, node: string): string {
  const a = cluster.lans.find((l) => l.name === lan)?.nodes.find((n) => n.name === node)?.addr;
  if (!a) throw new Error(`node ${node} is not on lan "${lan}" of cluster.xml`);
  return unbracket(a);
}

export interface HeartbeatLink { readonly ident: string; readonly lan: string; readonly pulseMs: number }

/**
 * How regularly the peer's heartbeats arrive on one network, measured where they are received
 * (before the module's step queue): the largest gap since the module process started, and the
 * largest in the last one to two minutes. A gap near the timeout means the timeout is too tight
 * for this network or this machine's load. `late` counts the gaps longer than 1.5, 2, 3 and 5
 * pulses (keys "1.5x", "2x", "3x", "5x"), for a histogram of the jitter.
 */
export interface ArrivalStats {
  readonly received: number;
  readonly maxGapMs: number;
  readonly recentMaxGapMs: number;
  readonly late: Readonly<Record<string, number>>;
}

const LATE_PULSES = [1.5, 2, 3, 5];

const WINDOW_MS = 60_000;

class Arrivals {
  received = 0;
  maxGapMs = 0;
  private readonly late = LATE_PULSES.map(() => 0);
  private last: number | null = null;
  private window = { start: 0, max: 0, previousMax: 0 };

  constructor(private readonly pulseMs: number) {}

  record(now: number): void {
    this.received++;
    if (this.last !== null) {
      const gap = now - this.last;
      this.maxGapMs = Math.max(this.maxGapMs, gap);
      LATE_PULSES.forEach((k, i) => { if (gap > k * this.pulseMs) this.late[i]++; });
      if (now - this.window.start >= WINDOW_MS) this.window = { start: now, max: 0, previousMax: now - this.window.start >= 2 * WINDOW_MS ? 0 : this.window.max };
      this.window.max = Math.max(this.window.max, gap);
    }
    this.last = now;
  }

  stats(): ArrivalStats {
    return {
      received: this.received, maxGapMs: this.maxGapMs, recentMaxGapMs: Math.max(this.window.max, this.window.previousMax),
      late: Object.fromEntries(LATE_PULSES.map((k, i) => [`${k}x`, this.late[i]])),
    };
  }
}

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
  readonly onHeartbeat: (ident: string, message: MirrorHeartbeat) => void;
  /** A frame that failed authentication or came from someone else: dropped, counted, reason once. */
  readonly onRejected: (ident: string, from: string, reason: string) => void;
}

const NO_KEY = Buffer.alloc(32); // a module without a key: frames still carry a checksum, not a secret

export class HeartbeatTransport {
  private readonly sockets = new Map<string, { socket: Socket; peerAddr: string }>();
  private readonly key: SealKey;
  private readonly arrivals = new Map<string, Arrivals>();
  private readonly otherConfigs = new Set<string>();
  private seq = 0;

  constructor(private readonly o: HeartbeatTransportOptions) {
    this.key = deriveKey(o.moduleKey ?? NO_KEY, `heartbeat:${o.module}`);
  }

  private addrOn(lan: string, node: string): string {
    return addressOn(this.o.cluster, lan, node);
  }

  async start(): Promise<void> {
    for (const link of this.o.links) {
      const local = this.addrOn(link.lan, this.o.node);
      const peerAddr = this.addrOn(link.lan, this.o.peer);
      const socket = createSocket({ type: local.includes(':') ? 'udp6' : 'udp4', reuseAddr: false });
      socket.on('message', (frame, rinfo) => this.receive(link.ident, frame, rinfo.address, peerAddr));
      socket.on('error', () => { /* a send to an unreachable peer: the missing heartbeat says it */ });
      await new Promise<void>((resolve, reject) => {
        socket.once('error', reject);
        socket.bind(this.o.port, local, () => { socket.off('error', reject); resolve(); });
      }).catch((e: Error) => { throw new Error(`heartbeat "${link.ident}": cannot bind ${local}:${this.o.port}: ${e.message}`); });
      this.sockets.set(link.ident, { socket, peerAddr });
    }
  }

  send(idents: readonly string[], message: MirrorHeartbeat): void {
    const frame = seal(this.key, 'heartbeat', { from: this.o.node, incarnation: this.o.incarnation, seq: ++this.seq, body: message, sig: this.o.configSignature });
    for (const ident of idents) {
      const s = this.sockets.get(ident);
      s?.socket.send(frame, this.o.port, s.peerAddr);
    }
  }

  private receive(ident: string, frame: Buffer, fromAddr: string, peerAddr: string): void {
    if (fromAddr !== peerAddr) return this.o.onRejected(ident, fromAddr, `not from the peer's address ${peerAddr}`);
    const r = open<MirrorHeartbeat>(frame, [this.key]);
    if (!r.ok) return this.o.onRejected(ident, fromAddr, r.reason === 'unknown-key' || r.reason === 'auth-failed' ? 'sealed with another module key (give both nodes the same module with "tandem -H <peer> -E AM")' : r.reason);
    if (r.kind !== 'heartbeat' || r.envelope.from !== this.o.peer || r.envelope.body?.from !== this.o.peer) return this.o.onRejected(ident, fromAddr, 'not a heartbeat of the peer');
    let arrivals = this.arrivals.get(ident);
    if (!arrivals) this.arrivals.set(ident, arrivals = new Arrivals(this.o.links.find((l) => l.ident === ident)?.pulseMs ?? 1000));
    arrivals.record(performance.now());
    const sig = r.envelope.sig ?? '';
    if (sig !== this.o.configSignature && !this.otherConfigs.has(sig)) {
      this.otherConfigs.add(sig);
      this.o.onOtherConfig(ident, sig);
    }
    this.o.onHeartbeat(ident, r.envelope.body);
  }

  /** Arrival regularity per heartbeat network that has received something. */
  stats(): Record<string, ArrivalStats> {
    return Object.fromEntries([...this.arrivals].map(([ident, a]) => [ident, a.stats()]));
  }

  stop(): void {
    for (const { socket } of this.sockets.values()) socket.close();
    this.sockets.clear();
  }
}
