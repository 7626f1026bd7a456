// The replication connection between the two nodes of a mirror: the primary sends numbered change
// frames (wire.ts) over TLS 1.3 with both nodes' certificates from the cluster CA; the secondary
// applies them in order (apply.ts) and acknowledges each number once applied — for an fsync, once
// the copy is durable. One acknowledgement covers every frame up to its number. The primary's
// send() resolves at that acknowledgement: the FUSE layer answers the application only then, which
// is what makes the replication synchronous. With async="second" (SafeKit's default) the secondary
// first acknowledges receipt of what a read brought (the receipt also says what it has applied so
// far), then applies it: a change resolves at its receipt (an fsync only once applied), so the
// copy's disk write overlaps the primary's next request. What was applied is said by the next
// receipt, or after APPLIED_ACK_MS of quiet (or at once after an fsync): one frame per change
// rather than two. The primary keeps every change until it is applied: if the connection ends
// before, it is among the unacknowledged ones the dirty map records.
//
// With nbremconn > 1 the primary opens extra connections (lanes, ALPN LANE_PROTOCOL) that join the
// first one's session; changes are spread over all of them, numbered once, and applied in order by
// the secondary (primary-session.ts); acknowledgements and control messages use the first. Any
// connection lost is the session lost.
//
// Control messages (JSON frames) around the stream; the primary's carry `after`, the number of
// changes sent before them, which the secondary applies first:
//   secondary → primary  hello {generation, mode, unclean, session}  first, once it accepted the primary
//   primary → secondary  join {session} → joined                     first on an extra connection
//   primary → secondary  synced {generation}                 resync complete: the copies match
//   either way           manifest?  →  manifest {root, entries} … manifestEnd
//                        (the primary's full sync asks the secondary; rfsverify asks the primary)
// With TLS 1.3 the client's handshake completes before the server has judged the client's
// certificate, so connect() waits for the hello rather than for the handshake.

import { connect as tlsConnect, createServer, type PeerCertificate, type Server, type TLSSocket } from 'node:tls';
import type { NodeCredentials } from '../daemon/pki.js';
import type { CopyApplier } from './apply.js';
import type { ManifestEntry } from './manifest.js';
import { decodeFrame, encodeControl, encodeFrameParts, FrameSplitter, type StreamOp } from './wire.js';
import { PrimarySession } from './primary-session.js';

/** Describes replicated directory `root` in batches (asynchronously: the describer keeps serving). */
export type Describe = (root: number, batch: (entries: ManifestEntry[]) => void) => Promise<void>;

/** One end's side of the manifest exchange: answering the other's request, and asking its own. */
class ManifestExchange {
  private sink: { entries: Map<number, ManifestEntry[]>; done: (m: Map<number, ManifestEntry[]>) => void; fail: (e: Error) => void } | null = null;

  constructor(private readonly roots: number, private readonly describe: Describe | null) {}

  /** Handles a control message; false when it is not part of the exchange. */
  handle(m: { t?: string; root?: number; entries?: ManifestEntry[] }, send: (message: unknown) => void): boolean {
    if (m.t === 'manifest?') {
      const describe = this.describe;
      void (async () => {
        if (describe) for (let root = 0; root < this.roots; root++) await describe(root, (entries) => send({ t: 'manifest', root, entries }));
        send({ t: 'manifestEnd' });
      })();
      return true;
    }
    const sink = this.sink;
    if (m.t === 'manifest' && sink && typeof m.root === 'number' && Array.isArray(m.entries)) {
      const list = sink.entries.get(m.root) ?? [];
      for (const e of m.entries) list.push(e);
      sink.entries.set(m.root, list);
      return true;
    }
    if (m.t === 'manifestEnd' && sink) {
      this.sink = null;
      sink.done(sink.entries);
      return true;
    }
    return false;
  }

  ask(send: (message: unknown) => void): Promise<Map<number, ManifestEntry[]>> {
    if (this.sink) return Promise.reject(new Error('a description of the other copy is already being read'));
    return new Promise((done, fail) => {
      this.sink = { entries: new Map(), done, fail };
      send({ t: 'manifest?' });
    });
  }

  abort(reason: string): void {
    const sink = this.sink;
    this.sink = null;
    sink?.fail(new Error(reason));
  }
}

/** `since`: only the files modified since `Hello.since` (secondforce -d: the copy is a restored backup);
 * `external`: only what changed since the primary began recording `Hello.seed` (rfssync external). */
export type ResyncRequest = 'zones' | 'full' | 'since' | 'external' | 'none';

export interface Hello {
  readonly t: 'hello';
  /** The data generation of the secondary's copy (its id), to match the primary's dirty map. */
  readonly generation: string;
  /** What the secondary's module asked: a resync from the dirty map, a full one, or none (swap). */
  readonly mode: ResyncRequest;
  /** The copy may hold changes nobody acknowledged (this node crashed as primary): zones are not enough. */
  readonly unclean: boolean;
  /** With mode `since`: the date, in milliseconds since the epoch. */
  readonly since?: number;
  /** With mode `external`: the name of the external synchronisation the copy was restored for. */
  readonly seed?: string;
  /** Set by the server: what the primary's extra connections name to join this one. */
  readonly session?: string;
}

export interface ReplicaServerOptions {
  readonly credentials: NodeCredentials;
  /** The node allowed to send (the primary): its certificate's CN. */
  readonly primary: string;
  /** One applier per replicated directory, by index. */
  readonly copies: readonly CopyApplier[];
  readonly hello: () => Hello;
  /** Describes replicated directory `root`, for the primary's full sync. */
  readonly manifest: Describe;
  readonly onSynced: (generation: unknown) => void;
  readonly onLost: (reason: string) => void;
  readonly log: (text: string) => void;
  /** async="second": acknowledge receipt before applying (see the top of this file). */
  readonly ackOnReceipt?: boolean;
  /** Why the copy cannot be synchronised now (files open on it: it says so itself); null: it can.
   * Asked at each connection of the primary, which is refused meanwhile (the primary retries). */
  readonly busy?: () => string | null;
}

/** TLS application protocol (ALPN) of a primary's extra connections (nbremconn); the first offers none. */
export const LANE_PROTOCOL = 'tandem-lane';

/** The secondary's end: one primary session at a time (a new one replaces the old). */
export class ReplicaServer {
  private server: Server | null = null;
  private session: PrimarySession | null = null;
  private last: PrimarySession | null = null;
  private readonly exchange: ManifestExchange;

  constructor(private readonly o: ReplicaServerOptions) {
    this.exchange = new ManifestExchange(o.copies.length, o.manifest);
  }

  /** The number of the last change applied, in the current (or last) session. */
  get applied(): bigint {
    return this.last?.applied ?? 0n;
  }

  /** What the current session has applied: changes and bytes of file contents (none without one). */
  get progress(): { changes: bigint; bytes: number } | null {
    return this.session && { changes: this.session.applied, bytes: this.session.appliedBytes };
  }

  /** The connections of the current session: 1 + the extra ones (nbremconn). */
  get connections(): number {
    return this.session?.connections ?? 0;
  }

  /** The primary's description of its directories (rfsverify); needs a primary connected. */
  primaryManifest(): Promise<Map<number, ManifestEntry[]>> {
    const session = this.session;
    if (!session) return Promise.reject(new Error('no primary is connected: rfsverify runs on a secondary replicating from its primary'));
    return this.exchange.ask((m) => session.main.write(encodeControl(m)));
  }

  listen(host: string, port: number): Promise<void> {
    const { credentials: c } = this.o;
    this.server = createServer({
      key: c.key, cert: c.cert, ca: c.ca, requestCert: true, rejectUnauthorized: true, minVersion: 'TLSv1.3', ALPNProtocols: [LANE_PROTOCOL],
    }, (socket) => this.serve(socket));
    return new Promise((resolve, reject) => {
      this.server!.once('error', reject);
      this.server!.listen(port, host, () => resolve());
    });
  }

  private serve(socket: TLSSocket): void {
    const cn = socket.getPeerCertificate()?.subject?.CN;
    if (cn !== this.o.primary) {
      this.o.log(`replication connection from ${socket.remoteAddress} refused: its certificate names ${cn ?? 'nobody'}, not the primary ${this.o.primary}`);
      socket.destroy();
      return;
    }
    if (socket.alpnProtocol === LANE_PROTOCOL) return this.joinLane(socket);
    if (this.o.busy?.()) { socket.destroy(); return; }
    this.session?.end('replaced by a new connection of the primary', true);
    const session: PrimarySession = new PrimarySession(socket, {
      copies: this.o.copies, ackOnReceipt: this.o.ackOnReceipt ?? false, log: this.o.log,
      control: (m) => this.control(session, m),
      ended: (reason) => {
        if (this.session !== session) return;
        this.session = null;
        for (const c of this.o.copies) c.closeAll();
        this.exchange.abort(`the connection to the primary was lost (${reason})`);
        this.o.onLost(reason);
      },
    });
    this.session = session;
    this.last = session;
    socket.write(encodeControl({ ...this.o.hello(), session: session.id }));
  }

  /** An extra connection: its first frame names the session it joins. */
  private joinLane(socket: TLSSocket): void {
    const splitter = new FrameSplitter();
    const first = (chunk: Buffer) => {
      let bodies: Buffer[];
      try { bodies = splitter.push(chunk); } catch { socket.destroy(); return; }
      if (bodies.length === 0) return;
      socket.off('data', first);
      let m: { t?: string; session?: unknown } = {};
      try { const f = decodeFrame(bodies[0]); if (f.kind === 'ctrl') m = f.message as typeof m; } catch { /* refused below */ }
      const session = this.session;
      if (m.t !== 'join' || !session || m.session !== session.id || bodies.length > 1) {
        this.o.log(`an extra replication connection from ${socket.remoteAddress} refused: it does not name the current session of the primary`);
        socket.destroy();
        return;
      }
      session.join(socket);
    };
    socket.on('data', first);
    socket.on('error', () => undefined);
  }

  private control(session: PrimarySession, message: unknown): void {
    const m = message as { t?: string; generation?: unknown };
    if (this.exchange.handle(m, (reply) => session.main.write(encodeControl(reply)))) return;
    if (m.t === 'synced') this.o.onSynced(m.generation);
  }

  /** Drops the current primary's connections (this node is no longer a secondary). */
  disconnect(): void {
    const s = this.session;
    this.session = null;
    s?.end('disconnected by this node', true);
  }

  close(): Promise<void> {
    this.disconnect();
    return new Promise((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}

export interface Unacked { readonly root: number; readonly op: StreamOp }

export interface ReplicaClientOptions {
  readonly credentials: NodeCredentials;
  /** The node expected at the other end (the secondary): its certificate's CN. */
  readonly secondary: string;
  /** No acknowledgement for this long while changes wait: the secondary is lost (`sendtimeout`). */
  readonly ackTimeoutMs: number;
  /** The connection ended; `unacked` are the changes sent and never acknowledged (the copy may or
   * may not have them). Their promises resolve once this returns: the caller records them, and
   * chains on send() whatever must happen before the application's answer. */
  readonly onLost: (reason: string, unacked: readonly Unacked[]) => void;
  /** Describes replicated directory `root` when the secondary asks (rfsverify). */
  readonly describe?: Describe;
  readonly roots?: number;
  /** Connections to spread the changes over (nbremconn); 1 when absent. */
  readonly connections?: number;
}

/** A change sent and not yet applied by the secondary (its promise may be resolved: received). */
interface Waiting { readonly seq: bigint; readonly root: number; readonly op: StreamOp; readonly bytes: number; readonly resolve: () => void; readonly reject: (e: Error) => void; readonly at: number }

/** The primary's end. */
export class ReplicaClient {
  private socket: TLSSocket | null = null;
  /** Every connection, the first one (`socket`) included. */
  private lanes: TLSSocket[] = [];
  private seq = 0n;
  private waiting: Waiting[] = [];
  private inflight = 0;
  private readonly exchange: ManifestExchange;
  private drainWaiters: (() => void)[] = [];
  private timer: NodeJS.Timeout | null = null;

  constructor(private readonly o: ReplicaClientOptions) {
    this.exchange = new ManifestExchange(o.roots ?? 0, o.describe ?? null);
  }

  /** Connects; resolves with the secondary's hello once it accepted this node (and every extra connection joined). */
  async connect(host: string, port: number): Promise<Hello> {
    const opened: TLSSocket[] = [];
    try {
      const { socket, hello } = await this.open(host, port, opened);
      for (let i = 1; i < (this.o.connections ?? 1); i++) await this.openLane(host, port, hello.session ?? '', opened);
      this.socket = socket;
      this.lanes = opened;
      for (const lane of opened.slice(1)) {
        lane.on('error', (e) => this.lost(e.message));
        lane.on('close', () => this.lost('the connection closed'));
      }
      this.timer = setInterval(() => this.checkAcks(), Math.max(50, Math.min(1000, this.o.ackTimeoutMs / 4)));
      return hello;
    } catch (e) {
      for (const s of opened) s.destroy();
      throw e;
    }
  }

  private tls(host: string, port: number, lane: boolean): TLSSocket {
    const { credentials: c, secondary } = this.o;
    const socket = tlsConnect({
      host, port, key: c.key, cert: c.cert, ca: c.ca, minVersion: 'TLSv1.3', ...(lane ? { ALPNProtocols: [LANE_PROTOCOL] } : {}),
      checkServerIdentity: (_h: string, cert: PeerCertificate) => (cert.subject?.CN === secondary ? undefined : new Error(`the replication peer presents the certificate of "${cert.subject?.CN}", not of ${secondary}`)),
    }, () => socket.setNoDelay(true));
    return socket;
  }

  /** The first connection: acknowledgements and control messages come on it. */
  private open(host: string, port: number, opened: TLSSocket[]): Promise<{ socket: TLSSocket; hello: Hello }> {
    return new Promise((resolve, reject) => {
      const socket = this.tls(host, port, false);
      opened.push(socket);
      const splitter = new FrameSplitter();
      socket.on('data', (chunk: Buffer) => {
        try {
          for (const body of splitter.push(chunk)) {
            const f = decodeFrame(body);
            if (f.kind === 'ack') this.acked(f.seq);
            else if (f.kind === 'received') {
              this.acked(f.applied);
              this.received(f.seq);
            } else if (f.kind === 'ctrl') {
              const m = f.message as { t?: string };
              if (m.t === 'hello') resolve({ socket, hello: m as Hello });
              else this.exchange.handle(m, (reply) => this.control(reply));
            } else throw new Error(`a ${f.kind} frame`);
          }
        } catch (e) {
          socket.destroy();
          this.lost(`the secondary sent a bad frame: ${(e as Error).message}`);
        }
      });
      socket.once('error', (e) => { if (!this.socket) reject(e); else this.lost(e.message); });
      socket.once('close', () => {
        if (!this.socket) reject(new Error(`the replica at ${host}:${port} closed the connection before accepting this node (its log says why)`));
        else this.lost('the connection closed');
      });
    });
  }

  /** An extra connection (nbremconn), joined to the first one's session. */
  private openLane(host: string, port: number, session: string, opened: TLSSocket[]): Promise<void> {
    return new Promise((resolve, reject) => {
      const socket = this.tls(host, port, true);
      opened.push(socket);
      const splitter = new FrameSplitter();
      socket.once('secureConnect', () => socket.write(encodeControl({ t: 'join', session })));
      const first = (chunk: Buffer) => {
        try {
          const bodies = splitter.push(chunk);
          if (bodies.length === 0) return;
          const f = decodeFrame(bodies[0]);
          if (f.kind !== 'ctrl' || (f.message as { t?: string }).t !== 'joined') throw new Error('it did not answer the join');
          socket.off('data', first);
          resolve();
        } catch (e) {
          reject(new Error(`an extra replication connection failed: ${(e as Error).message}`));
        }
      };
      socket.on('data', first);
      socket.once('error', (e) => reject(new Error(`an extra replication connection failed: ${e.message}`)));
      socket.once('close', () => reject(new Error('the replica closed an extra replication connection before it joined (its log says why)')));
    });
  }

  get connected(): boolean {
    return this.socket !== null;
  }

  /** Bytes sent and not yet acknowledged. */
  get inflightBytes(): number {
    return this.inflight;
  }

  /** Sends one change; resolves when the secondary has applied it (and everything before it), or
   * with async="second" received it (an fsync: applied). */
  send(op: StreamOp, root = 0): Promise<void> {
    if (!this.socket) return Promise.reject(new Error('no replication connection'));
    const seq = ++this.seq;
    const parts = encodeFrameParts(seq, op, root);
    const bytes = parts.reduce((n, p) => n + p.length, 0);
    this.inflight += bytes;
    const done = new Promise<void>((resolve, reject) => this.waiting.push({ seq, root, op, bytes, resolve, reject, at: Date.now() }));
    const lane = this.lanes.length > 1 ? this.lanes[Number(seq % BigInt(this.lanes.length))] : this.socket;
    for (const p of parts) lane.write(p);
    return done;
  }

  /** Resolves once no more than `bytes` wait for an acknowledgement (flow control for resync). */
  async below(bytes: number): Promise<void> {
    while (this.socket && this.inflight > bytes) await new Promise<void>((resolve) => this.drainWaiters.push(resolve));
    if (!this.socket) throw new Error('replication connection lost');
  }

  /** A control message, applied by the secondary after the changes sent before it. */
  control(message: unknown): void {
    this.socket?.write(encodeControl({ ...(message as object), after: Number(this.seq) }));
  }

  /** Asks the secondary to describe its copy (full sync). */
  manifest(): Promise<Map<number, ManifestEntry[]>> {
    if (!this.socket) return Promise.reject(new Error('no replication connection'));
    return this.exchange.ask((m) => this.control(m));
  }

  close(): void {
    const lanes = this.lanes;
    this.lost('closed by this node');
    for (const s of lanes) s.destroy();
  }

  /** Received, not yet applied: answered, but kept until applied (see the top of this file). */
  private received(upTo: bigint): void {
    for (const w of this.waiting) {
      if (w.seq > upTo) break;
      if (w.op.op !== 'fsync') w.resolve();
    }
  }

  private acked(upTo: bigint): void {
    let n = 0;
    while (n < this.waiting.length && this.waiting[n].seq <= upTo) {
      this.inflight -= this.waiting[n].bytes;
      this.waiting[n].resolve();
      n++;
    }
    if (n) this.waiting = this.waiting.slice(n);
    if (n) for (const w of this.drainWaiters.splice(0)) w();
  }

  private checkAcks(): void {
    const oldest = this.waiting[0];
    if (oldest && Date.now() - oldest.at > this.o.ackTimeoutMs) {
      const lanes = this.lanes;
      this.lost(`no acknowledgement from the secondary for ${this.o.ackTimeoutMs} ms (sendtimeout)`);
      for (const s of lanes) s.destroy();
    }
  }

  private lost(reason: string): void {
    if (!this.socket) return;
    const lanes = this.lanes;
    this.socket = null;
    this.lanes = [];
    for (const s of lanes) s.destroy(); // one connection lost is the session lost
    if (this.timer) clearInterval(this.timer);
    const unacked = this.waiting.map((w) => ({ root: w.root, op: w.op }));
    const settled = this.waiting;
    this.waiting = [];
    this.inflight = 0;
    this.exchange.abort(`replication connection lost (${reason})`);
    for (const w of this.drainWaiters.splice(0)) w();
    this.o.onLost(reason, unacked);
    // the caller has recorded them: their answers follow its decision, not this connection
    for (const w of settled) w.resolve();
  }
}
