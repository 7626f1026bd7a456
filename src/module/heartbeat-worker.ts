// The heartbeat thread of a mirror module process (started by heartbeat-transport.ts): it owns the
// UDP sockets, seals and sends this node's heartbeats, opens and times the peer's. The module's
// main thread also writes its store (each durable write an fsync) and runs the steps; on a
// saturated disk it can be held for most of a second. Heartbeats sent and timed here keep going
// meanwhile, so such a stall is not a loss of the peer on either side (bench/results/replication.md,
// the false loss of 2026-12-03).
//
// Contract with the main thread:
//   - every heartbeat the core emits is posted here and sent at once;
//   - between them, the newest one is sent again every pulse, but only while it is younger than
//     `holdMs`: a main thread stuck for good stops its heartbeats after holdMs, and the peer takes
//     over one timeout later (docs/decisions/0012-heartbeat-thread.md);
//   - a frame reaches the main thread only when it is authentic (sealed with the module key) and
//     newer than the last one of that sender on that network (envelope incarnation, then sequence):
//     duplicates and replays of the network stop here, so a repeat of the same heartbeat body the
//     core receives is the peer's pulse, never an old packet.

import { createSocket, type Socket } from 'node:dgram';
import { parentPort, workerData } from 'node:worker_threads';
import type { MirrorHeartbeat } from '../core/mirror/types.js';
import { deriveKey, open, seal, type SealKey } from '../protocol/sealed.js';

export interface HeartbeatWorkerData {
  readonly module: string;
  readonly node: string;
  readonly peer: string;
  readonly links: readonly { readonly ident: string; readonly local: string; readonly peerAddr: string; readonly pulseMs: number }[];
  readonly port: number;
  readonly moduleKey: Uint8Array | null;
  readonly incarnation: number;
  readonly configSignature: string;
  /** How long the newest heartbeat of the main thread is repeated without a newer one. */
  readonly holdMs: number;
}

/** Main thread → this thread (it ends when the main thread terminates it). */
export interface ToHeartbeatWorker { readonly type: 'send'; readonly idents: readonly string[]; readonly body: MirrorHeartbeat }

/** This thread → the main thread. */
export type FromHeartbeatWorker =
  | { readonly type: 'ready' }
  | { readonly type: 'fatal'; readonly message: string }
  | { readonly type: 'heartbeat'; readonly ident: string; readonly body: MirrorHeartbeat; readonly stats: ArrivalStats }
  | { readonly type: 'rejected'; readonly ident: string; readonly from: string; readonly reason: string }
  | { readonly type: 'otherConfig'; readonly ident: string; readonly signature: string };

/**
 * How regularly the peer's heartbeats arrive on one network, measured where they are received:
 * the largest gap since the module process started, and the largest in the last one to two
 * minutes. A gap near the timeout means the timeout is too tight for this network or this
 * machine's load. `late` counts the gaps longer than 1.5, 2, 3 and 5 pulses (keys "1.5x", "2x",
 * "3x", "5x"), for a histogram of the jitter.
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

const NO_KEY = Buffer.alloc(32); // a module without a key: frames still carry a checksum, not a secret

const data = workerData as HeartbeatWorkerData;
const post = (m: FromHeartbeatWorker) => parentPort!.postMessage(m);
const key: SealKey = deriveKey(data.moduleKey ? Buffer.from(data.moduleKey) : NO_KEY, `heartbeat:${data.module}`);
const sockets = new Map<string, { socket: Socket; peerAddr: string }>();
const arrivals = new Map(data.links.map((l) => [l.ident, new Arrivals(l.pulseMs)]));
/** The newest envelope seen per network: anything not newer is a duplicate or a replay. */
const newest = new Map<string, { incarnation: number; seq: number }>();
const otherConfigs = new Set<string>();
const pulseMs = Math.min(...data.links.map((l) => l.pulseMs));
let seq = 0;
let latest: { idents: readonly string[]; body: MirrorHeartbeat; at: number } | null = null;
let lastSentAt = 0;

function send(idents: readonly string[], body: MirrorHeartbeat): void {
  const frame = seal(key, 'heartbeat', { from: data.node, incarnation: data.incarnation, seq: ++seq, body, sig: data.configSignature });
  for (const ident of idents) {
    const s = sockets.get(ident);
    s?.socket.send(frame, data.port, s.peerAddr);
  }
  lastSentAt = performance.now();
}

function receive(ident: string, frame: Buffer, fromAddr: string, peerAddr: string): void {
  if (fromAddr !== peerAddr) return post({ type: 'rejected', ident, from: fromAddr, reason: `not from the peer's address ${peerAddr}` });
  const r = open<MirrorHeartbeat>(frame, [key]);
  if (!r.ok) {
    const reason = r.reason === 'unknown-key' || r.reason === 'auth-failed' ? `sealed with another module key (give both nodes the same module with "tandem -H <peer> -E ${data.module}")` : r.reason;
    return post({ type: 'rejected', ident, from: fromAddr, reason });
  }
  const { envelope } = r;
  if (r.kind !== 'heartbeat' || envelope.from !== data.peer || envelope.body?.from !== data.peer) return post({ type: 'rejected', ident, from: fromAddr, reason: 'not a heartbeat of the peer' });
  const seen = newest.get(ident);
  if (seen && (envelope.incarnation < seen.incarnation || (envelope.incarnation === seen.incarnation && envelope.seq <= seen.seq))) return;
  newest.set(ident, { incarnation: envelope.incarnation, seq: envelope.seq });
  const a = arrivals.get(ident)!;
  a.record(performance.now());
  const sig = envelope.sig ?? '';
  if (sig !== data.configSignature && !otherConfigs.has(sig)) {
    otherConfigs.add(sig);
    post({ type: 'otherConfig', ident, signature: sig });
  }
  post({ type: 'heartbeat', ident, body: envelope.body, stats: a.stats() });
}

async function bind(link: HeartbeatWorkerData['links'][number]): Promise<void> {
  const socket = createSocket({ type: link.local.includes(':') ? 'udp6' : 'udp4', reuseAddr: false });
  socket.on('message', (frame, rinfo) => receive(link.ident, frame, rinfo.address, link.peerAddr));
  await new Promise<void>((resolve, reject) => {
    socket.once('error', reject);
    socket.bind(data.port, link.local, () => { socket.off('error', reject); resolve(); });
  }).catch((e: Error) => { throw new Error(`heartbeat "${link.ident}": cannot bind ${link.local}:${data.port}: ${e.message}`); });
  socket.on('error', () => { /* a send to an unreachable peer: the missing heartbeat says it */ });
  sockets.set(link.ident, { socket, peerAddr: link.peerAddr });
}

parentPort!.on('message', (m: ToHeartbeatWorker) => {
  latest = { idents: m.idents, body: m.body, at: performance.now() };
  send(m.idents, m.body);
});

// the newest heartbeat again when the main thread has not sent one for a pulse (it is held up)
setInterval(() => {
  const now = performance.now();
  if (latest && now - lastSentAt >= pulseMs && now - latest.at < data.holdMs) send(latest.idents, latest.body);
}, Math.max(5, Math.floor(pulseMs / 2)));

Promise.all(data.links.map(bind)).then(() => post({ type: 'ready' }), (e: Error) => post({ type: 'fatal', message: e.message }));
