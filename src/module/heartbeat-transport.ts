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

export interface HeartbeatLink { readonly ident: string; readonly lan: string }

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
  readonly onHeartbeat: (ident: string, message: MirrorHeartbeat) => void;
  /** A frame that failed authentication or came from someone else: dropped, counted, reason once. */
  readonly onRejected: (ident: string, from: string, reason: string) => void;
}

const NO_KEY = Buffer.alloc(32); // a module without a key: frames still carry a checksum, not a secret

export class HeartbeatTransport {
  private readonly sockets = new Map<string, { socket: Socket; peerAddr: string }>();
  private readonly key: SealKey;
  private seq = 0;

  constructor(private readonly o: HeartbeatTransportOptions) {
    this.key = deriveKey(o.moduleKey ?? NO_KEY, `heartbeat:${o.module}`);
  }

  private addrOn(lan: string, node: string): string {
    const a = this.o.cluster.lans.find((l) => l.name === lan)?.nodes.find((n) => n.name === node)?.addr;
    if (!a) throw new Error(`node ${node} is not on lan "${lan}" of cluster.xml`);
    return unbracket(a);
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
    const frame = seal(this.key, 'heartbeat', { from: this.o.node, incarnation: this.o.incarnation, seq: ++this.seq, body: message });
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
    this.o.onHeartbeat(ident, r.envelope.body);
  }

  stop(): void {
    for (const { socket } of this.sockets.values()) socket.close();
    this.sockets.clear();
  }
}
