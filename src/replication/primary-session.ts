// The secondary's side of one primary connection, with its extra connections (`nbremconn`: lanes,
// for links with a large bandwidth-delay product). The primary numbers its changes once for all
// lanes; they are applied here in the order of their numbers, whichever lane brought them, and
// acknowledged on the first connection. A control message (on the first connection) says how many
// changes were sent before it (`after`) and waits until those are applied: "synced" must not mark
// the copy up to date while changes sent before it are still on another lane.
//
// With async="second" (ackOnReceipt) the session acknowledges receipt of the changes it holds in
// order (up to the first fsync, acknowledged once durable), then applies them; what was applied is
// said by the next receipt, or after APPLIED_ACK_MS of quiet, or at once after an fsync (link.ts).

import { randomBytes } from 'node:crypto';
import type { TLSSocket } from 'node:tls';
import type { CopyApplier } from './apply.js';
import { decodeFrame, encodeAck, encodeControl, encodeReceipt, FrameSplitter, type Frame } from './wire.js';

/** With receipts, how long the secondary waits for more changes before it says what it applied. */
const APPLIED_ACK_MS = 2;

type OpFrame = Extract<Frame, { kind: 'op' }>;

export interface SessionHooks {
  /** One applier per replicated directory, by index. */
  readonly copies: readonly CopyApplier[];
  /** async="second": acknowledge receipt before applying. */
  readonly ackOnReceipt: boolean;
  /** A control message from the primary, once the changes sent before it are applied. */
  readonly control: (message: unknown) => void;
  /** The session ended (a lane closed, a bad frame, a change that cannot be applied). */
  readonly ended: (reason: string) => void;
  readonly log: (text: string) => void;
}

export class PrimarySession {
  /** Names this session to the primary's extra connections (in the hello). */
  readonly id = randomBytes(12).toString('hex');
  /** The number of the last change applied: every change up to it is on the copy. */
  applied = 0n;
  /** The file contents this session has written to the copy (a resynchronisation's progress). */
  appliedBytes = 0;
  private readonly lanes: TLSSocket[] = [];
  private readonly pending = new Map<bigint, OpFrame>();
  private readonly held: { after: bigint; message: unknown }[] = [];
  /** The received and applied numbers the primary was last told. */
  private receiptSaid = 0n;
  private appliedSaid = 0n;
  private quiet: NodeJS.Timeout | null = null;
  private over = false;

  constructor(readonly main: TLSSocket, private readonly h: SessionHooks) {
    this.attach(main);
  }

  /** An extra connection of the same primary (it named this session). */
  join(lane: TLSSocket): void {
    this.lanes.push(lane);
    this.attach(lane);
    lane.write(encodeControl({ t: 'joined', lanes: this.lanes.length + 1 }));
  }

  get connections(): number {
    return this.over ? 0 : this.lanes.length + 1;
  }

  /** Ends the session: every connection closed, `ended` told unless `quietly`. */
  end(reason: string, quietly = false): void {
    if (this.over) return;
    this.over = true;
    if (this.quiet) clearTimeout(this.quiet);
    for (const s of [this.main, ...this.lanes]) s.destroy();
    this.pending.clear();
    if (!quietly) this.h.ended(reason);
  }

  private attach(socket: TLSSocket): void {
    socket.setNoDelay(true);
    const splitter = new FrameSplitter();
    socket.on('data', (chunk: Buffer) => {
      if (this.over) return;
      try {
        this.receive(splitter.push(chunk).map(decodeFrame), socket === this.main);
      } catch (e) {
        // the copy can no longer follow: the primary sees the connection end and continues alone
        this.h.log(`replication stopped: ${(e as Error).message}`);
        this.end((e as Error).message);
      }
    });
    socket.on('error', () => undefined);
    socket.on('close', () => this.end('the connection closed'));
  }

  private receive(frames: readonly Frame[], onMain: boolean): void {
    for (const f of frames) {
      if (f.kind === 'op') {
        if (f.seq <= this.applied || this.pending.has(f.seq)) throw new Error(`change #${f.seq} came twice`);
        this.pending.set(f.seq, f);
      } else if (f.kind === 'ctrl' && onMain) {
        const after = (f.message as { after?: unknown }).after;
        this.held.push({ after: typeof after === 'number' ? BigInt(after) : 0n, message: f.message });
      } else throw new Error(`the primary sent ${f.kind === 'ctrl' ? 'a control message on an extra connection' : `an ${f.kind} frame`}`);
    }
    let fsync = false;
    if (this.h.ackOnReceipt) {
      // what is held in order, up to the first fsync (acknowledged once durable)
      let received: bigint | null = null;
      for (let s = this.applied + 1n; this.pending.has(s); s++) {
        if (this.pending.get(s)!.op.op === 'fsync') { fsync = true; break; }
        received = s;
      }
      if (received !== null && received > this.receiptSaid) {
        this.main.write(encodeReceipt(received, this.applied));
        this.receiptSaid = received;
        this.appliedSaid = this.applied;
      }
    }
    for (let f = this.pending.get(this.applied + 1n); f; f = this.pending.get(this.applied + 1n)) {
      const copy = this.h.copies[f.root];
      if (!copy) throw new Error(`a change for replicated directory #${f.root}, and this module has ${this.h.copies.length}`);
      copy.apply(f.op);
      if (f.op.op === 'write') this.appliedBytes += f.op.data.length;
      this.pending.delete(f.seq);
      this.applied = f.seq;
    }
    while (this.held.length > 0 && this.held[0].after <= this.applied) this.h.control(this.held.shift()!.message);
    if (!this.h.ackOnReceipt || fsync) this.sayApplied();
    else if (!this.quiet && this.appliedSaid !== this.applied) this.quiet = setTimeout(() => this.sayApplied(), APPLIED_ACK_MS);
  }

  private sayApplied(): void {
    if (this.quiet) clearTimeout(this.quiet);
    this.quiet = null;
    if (this.appliedSaid === this.applied || this.over) return;
    this.appliedSaid = this.applied;
    this.main.write(encodeAck(this.applied));
  }
}
