// The membership service of tandemd: one UDP socket per cluster lan this node is on, sealed pulses
// to every other node on each shared lan, the pure membership machine (src/core/membership.ts)
// deciding who is up. A node with another cluster key is refused and logged once per address.

import { createSocket, type Socket } from 'node:dgram';
import type { ClusterConfig } from '../shared/config.js';
import { unbracket } from '../config/net.js';
import { initialMembership, stepMembership, type MembershipAction, type MembershipEvent, type MembershipState } from '../core/membership.js';
import { deriveKey, open, seal, type SealKey } from '../protocol/sealed.js';
import { ReplayGuard } from '../protocol/replay.js';

export interface MembershipServiceOptions {
  readonly cluster: ClusterConfig;
  readonly self: string;
  /** The cluster key (secret); membership frames are sealed with a key derived from it. */
  readonly clusterKey: Buffer;
  /** Grows at every start of tandemd (persisted by the caller). */
  readonly incarnation: number;
  /** Tests only: use this UDP port instead of `<lans port>`. */
  readonly port?: number;
  readonly log: (level: 'E' | 'I', text: string) => void;
  readonly onView?: (up: readonly string[]) => void;
  readonly now?: () => number;
}


export class MembershipService {
  private state: MembershipState;
  private readonly sockets = new Map<string, Socket>();
  private readonly key: SealKey;
  private readonly guard = new ReplayGuard();
  private timer: NodeJS.Timeout | null = null;
  private seq = 0;
  private readonly now: () => number;

  constructor(private readonly o: MembershipServiceOptions) {
    this.key = deriveKey(o.clusterKey, 'membership');
    this.now = o.now ?? (() => performance.now());
    const mine = o.cluster.lans.filter((l) => l.nodes.some((n) => n.name === o.self));
    if (mine.length === 0) throw new Error(`node ${o.self} is on no lan of cluster.xml`);
    const peers = o.cluster.nodeNames.filter((n) => n !== o.self).map((name) => ({
      name,
      lans: mine.flatMap((l) => l.nodes.filter((n) => n.name === name).map((n) => ({ lan: l.name, addr: unbracket(n.addr) }))),
    }));
    this.state = initialMembership({ self: o.self, peers, pulseMs: o.cluster.pulseMs, lostAfterMs: o.cluster.pulseMs * o.cluster.slostCount });
  }

  /** Binds every lan socket, then pulses. Rejects with the address that could not be bound. */
  async start(): Promise<void> {
    const port = this.o.port ?? this.o.cluster.port;
    for (const lan of this.o.cluster.lans) {
      const me = lan.nodes.find((n) => n.name === this.o.self);
      if (!me) continue;
      const addr = unbracket(me.laddr ?? me.addr);
      const socket = createSocket({ type: addr.includes(':') ? 'udp6' : 'udp4', reuseAddr: false });
      socket.on('message', (msg, rinfo) => this.receive(lan.name, msg, rinfo.address));
      socket.on('error', (e) => this.o.log('E', `membership socket on lan ${lan.name} (${addr}:${port}): ${e.message}`));
      await new Promise<void>((resolve, reject) => {
        socket.once('error', (e) => reject(new Error(`cannot listen for membership on ${addr}:${port} (lan ${lan.name}): ${e.message}; is ${addr} an address of this machine?`)));
        socket.bind(port, addr, () => resolve());
      });
      this.sockets.set(lan.name, socket);
    }
    this.apply({ type: 'tick', now: this.now() });
    this.timer = setInterval(() => this.apply({ type: 'tick', now: this.now() }), Math.max(10, Math.floor(this.o.cluster.pulseMs / 2)));
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    for (const s of this.sockets.values()) s.close();
    this.sockets.clear();
  }

  /** The nodes currently up, sorted (this node excluded). */
  view(): string[] {
    return Object.entries(this.state.peers).filter(([, p]) => p.up).map(([n]) => n).sort();
  }

  private receive(lan: string, frame: Buffer, addr: string): void {
    const r = open<{ lan: string }>(frame, [this.key]);
    if (!r.ok) return this.apply({ type: 'refused', now: this.now(), lan, addr, reason: r.reason });
    if (r.kind !== 'membership') return;
    const e = r.envelope;
    if (!(e.from in this.state.peers)) return this.apply({ type: 'refused', now: this.now(), lan, addr, reason: 'stranger' });
    if (!this.guard.accept(e.from, e.incarnation, e.seq)) return; // duplicates and replays: silently dropped
    this.apply({ type: 'pulse', now: this.now(), lan, from: e.from, incarnation: e.incarnation });
  }

  private apply(event: MembershipEvent): void {
    const { state, actions } = stepMembership(this.state, event);
    this.state = state;
    for (const a of actions) this.execute(a);
  }

  private execute(a: MembershipAction): void {
    switch (a.type) {
      case 'send': {
        const socket = this.sockets.get(a.lan);
        if (!socket) return;
        const frame = seal(this.key, 'membership', { from: this.o.self, incarnation: this.o.incarnation, seq: ++this.seq, body: { lan: a.lan } });
        socket.send(frame, this.o.port ?? this.o.cluster.port, a.addr);
        return;
      }
      case 'log': this.o.log(a.level, a.text); return;
      case 'view': this.o.onView?.(a.up); return;
    }
  }
}
