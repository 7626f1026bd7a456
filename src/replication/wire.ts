// The replication stream on the wire: one frame per mutation, numbered, so that the secondary
// applies them in order and acknowledges by number (and, with several connections, restores the
// order). Pure: bytes in, values out; a frame that is not exactly what encode() writes is refused
// with the reason, never half-read.
//
//   frame   = length u32 (of what follows) | kind u8 | ...
//   change  = kind 1 | seq u64 | root u8 (index of the replicated directory) | op u8 | fields
//   ack     = kind 2 | seq u64          control = kind 3 | JSON (hello, manifest, end of resync)
//   receipt = kind 4 | received seq u64 | applied seq u64
//   string = length u32 | UTF-8 bytes        data = length u32 | bytes
//   numbers: u32 for modes and ids, u64 for offsets, sizes and nanoseconds (little-endian)

import type { Mutation } from '../fuse/passthrough.js';

const OPS = ['write', 'truncate', 'create', 'mkdir', 'symlink', 'unlink', 'rmdir', 'rename', 'chmod', 'chown', 'utimens', 'fsync', 'mknod', 'remove', 'ensure', 'fallocate', 'setxattr', 'removexattr', 'xattrs'] as const;
const CODE = new Map<string, number>(OPS.map((op, i) => [op, i + 1]));

/** The largest frame we accept: a 1 MiB write, its path and headers. */
export const MAX_FRAME = 1024 * 1024 + 64 * 1024;

export class WireError extends Error {}

/** Data this large is written as its own piece: cheaper than copying it into the frame (smaller
 * data is cheaper joined: each piece costs a TLS record). */
const LARGE = 64 * 1024;

class Writer {
  private readonly parts: Buffer[] = [];
  u8(v: number): this { const b = Buffer.alloc(1); b.writeUInt8(v); this.parts.push(b); return this; }
  u32(v: number): this { const b = Buffer.alloc(4); b.writeUInt32LE(v); this.parts.push(b); return this; }
  u64(v: bigint | number): this { const b = Buffer.alloc(8); b.writeBigUInt64LE(BigInt(v)); this.parts.push(b); return this; }
  bytes(v: Buffer): this { this.u32(v.length); this.parts.push(v); return this; }
  str(v: string): this { return this.bytes(Buffer.from(v, 'utf8')); }
  /** The frame as pieces: its length and small fields joined, large data left where it is. */
  frame(): Buffer[] {
    const out: Buffer[] = [];
    let small: Buffer[] = [Buffer.alloc(4)];
    let length = 0;
    for (const p of this.parts) {
      length += p.length;
      if (p.length < LARGE) { small.push(p); continue; }
      out.push(Buffer.concat(small), p);
      small = [];
    }
    if (small.length) out.push(Buffer.concat(small));
    out[0].writeUInt32LE(length, 0);
    return out;
  }
}

class Reader {
  private at = 0;
  constructor(private readonly b: Buffer) {}
  private need(n: number): void { if (this.at + n > this.b.length) throw new WireError(`frame ends inside a field (at byte ${this.at}, ${n} more needed)`); }
  u8(): number { this.need(1); return this.b.readUInt8(this.at++); }
  u32(): number { this.need(4); const v = this.b.readUInt32LE(this.at); this.at += 4; return v; }
  u64(): bigint { this.need(8); const v = this.b.readBigUInt64LE(this.at); this.at += 8; return v; }
  num(): number {
    const v = this.u64();
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw new WireError(`number ${v} is too large`);
    return Number(v);
  }
  /** A view into the frame, not a copy (a frame body is never reused once decoded). */
  bytes(): Buffer { const n = this.u32(); this.need(n); const v = this.b.subarray(this.at, this.at + n); this.at += n; return v; }
  str(): string {
    const s = this.bytes().toString('utf8');
    if (s.includes('\0')) throw new WireError('a path holds a NUL byte');
    return s;
  }
  end(): void { if (this.at !== this.b.length) throw new WireError(`${this.b.length - this.at} bytes after the last field`); }
}

/** A change of the copy during resynchronisation, beside the FUSE mutations (resync.ts). */
export type ResyncOp =
  /** Remove the path and everything under it; a missing path is fine. */
  | { readonly op: 'remove'; readonly path: string }
  /** Make the path this kind of entry with this metadata (a file: this size), creating it (and its
   * parent directories) or replacing an entry of another kind. */
  | { readonly op: 'ensure'; readonly path: string; readonly kind: EntryKind; readonly mode: number; readonly uid: number; readonly gid: number; readonly size: number; readonly rdev: number; readonly target: string }
  /** The entry's extended attributes are exactly these (others are removed). */
  | { readonly op: 'xattrs'; readonly path: string; readonly attrs: readonly (readonly [string, Buffer])[] };

export type EntryKind = 'file' | 'dir' | 'symlink' | 'special';
const KINDS: readonly EntryKind[] = ['file', 'dir', 'symlink', 'special'];

/** What the primary streams: the application's changes and the resynchronisation's. */
export type StreamOp = Mutation | ResyncOp;

/** A frame: a numbered change of replicated directory `root` (its index in <rfs>), an
 * acknowledgement that every change up to `seq` is applied ('ack'), a receipt (every change up to
 * `seq` received, up to `applied` applied: sent before applying, with async="second"), or a control
 * message (JSON: hello, manifest, end). */
export type Frame =
  | { readonly kind: 'op'; readonly seq: bigint; readonly root: number; readonly op: StreamOp }
  | { readonly kind: 'ack'; readonly seq: bigint }
  | { readonly kind: 'received'; readonly seq: bigint; readonly applied: bigint }
  | { readonly kind: 'ctrl'; readonly message: unknown };

const KIND_OP = 1;
const KIND_ACK = 2;
const KIND_CTRL = 3;
const KIND_RECEIVED = 4;

function framed(body: Buffer): Buffer {
  const len = Buffer.alloc(4);
  len.writeUInt32LE(body.length);
  return Buffer.concat([len, body]);
}

export function encodeFrame(seq: bigint, m: StreamOp, root = 0): Buffer {
  return Buffer.concat(encodeFrameParts(seq, m, root));
}

/** encodeFrame's bytes in pieces to write one after the other: a write's data is not copied. */
export function encodeFrameParts(seq: bigint, m: StreamOp, root = 0): Buffer[] {
  const w = new Writer().u8(KIND_OP).u64(seq).u8(root).u8(CODE.get(m.op)!);
  switch (m.op) {
    case 'write': w.str(m.path).u64(m.offset).bytes(m.data); break;
    case 'truncate': w.str(m.path).u64(m.size); break;
    case 'create': case 'mkdir': w.str(m.path).u32(m.mode).u32(m.uid).u32(m.gid); break;
    case 'symlink': w.str(m.path).str(m.target).u32(m.uid).u32(m.gid); break;
    case 'unlink': case 'rmdir': case 'remove': w.str(m.path); break;
    case 'rename': w.str(m.from).str(m.to).u8(m.noReplace ? 1 : 0); break;
    case 'chmod': w.str(m.path).u32(m.mode); break;
    case 'chown': w.str(m.path).u32(m.uid).u32(m.gid); break;
    case 'utimens': w.str(m.path).u64(m.atimeNs).u64(m.mtimeNs); break;
    case 'fsync': w.str(m.path).u8(m.dataOnly ? 1 : 0); break;
    case 'mknod': w.str(m.path).u32(m.mode).u32(m.rdev).u32(m.uid).u32(m.gid); break;
    case 'fallocate': w.str(m.path).u32(m.mode).u64(m.offset).u64(m.length); break;
    case 'setxattr': w.str(m.path).str(m.name).bytes(m.value).u32(m.flags); break;
    case 'removexattr': w.str(m.path).str(m.name); break;
    case 'xattrs': w.str(m.path).u32(m.attrs.length); for (const [name, value] of m.attrs) w.str(name).bytes(value); break;
    case 'ensure': w.str(m.path).u8(KINDS.indexOf(m.kind)).u32(m.mode).u32(m.uid).u32(m.gid).u64(m.size).u32(m.rdev).str(m.target); break;
  }
  return w.frame();
}

export function encodeAck(seq: bigint): Buffer {
  return Buffer.concat(new Writer().u8(KIND_ACK).u64(seq).frame());
}

export function encodeReceipt(seq: bigint, applied: bigint): Buffer {
  return Buffer.concat(new Writer().u8(KIND_RECEIVED).u64(seq).u64(applied).frame());
}

export function encodeControl(message: unknown): Buffer {
  const json = Buffer.from(JSON.stringify(message), 'utf8');
  if (json.length + 1 > MAX_FRAME) throw new WireError(`control message of ${json.length} bytes; at most ${MAX_FRAME - 1}`);
  return framed(Buffer.concat([Buffer.from([KIND_CTRL]), json]));
}

/** One frame body (without its length prefix). */
export function decodeFrame(body: Buffer): Frame {
  const r = new Reader(body);
  const kind = r.u8();
  if (kind === KIND_ACK) {
    const seq = r.u64();
    r.end();
    return { kind: 'ack', seq };
  }
  if (kind === KIND_RECEIVED) {
    const seq = r.u64();
    const applied = r.u64();
    r.end();
    return { kind: 'received', seq, applied };
  }
  if (kind === KIND_CTRL) {
    try {
      return { kind: 'ctrl', message: JSON.parse(body.subarray(1).toString('utf8')) as unknown };
    } catch (e) {
      throw new WireError(`control message is not JSON: ${(e as Error).message}`);
    }
  }
  if (kind !== KIND_OP) throw new WireError(`unknown frame kind ${kind}`);
  const seq = r.u64();
  const root = r.u8();
  const code = r.u8();
  const op = OPS[code - 1];
  if (!op) throw new WireError(`unknown operation code ${code}`);
  let m: StreamOp;
  switch (op) {
    case 'write': m = { op, path: r.str(), offset: r.num(), data: r.bytes() }; break;
    case 'truncate': m = { op, path: r.str(), size: r.num() }; break;
    case 'create': case 'mkdir': m = { op, path: r.str(), mode: r.u32(), uid: r.u32(), gid: r.u32() }; break;
    case 'symlink': m = { op, path: r.str(), target: r.str(), uid: r.u32(), gid: r.u32() }; break;
    case 'unlink': case 'rmdir': case 'remove': m = { op, path: r.str() }; break;
    case 'rename': m = { op, from: r.str(), to: r.str(), noReplace: r.u8() === 1 }; break;
    case 'chmod': m = { op, path: r.str(), mode: r.u32() }; break;
    case 'chown': m = { op, path: r.str(), uid: r.u32(), gid: r.u32() }; break;
    case 'utimens': m = { op, path: r.str(), atimeNs: r.u64(), mtimeNs: r.u64() }; break;
    case 'fsync': m = { op, path: r.str(), dataOnly: r.u8() === 1 }; break;
    case 'mknod': m = { op, path: r.str(), mode: r.u32(), rdev: r.u32(), uid: r.u32(), gid: r.u32() }; break;
    case 'fallocate': m = { op, path: r.str(), mode: r.u32(), offset: r.num(), length: r.num() }; break;
    case 'setxattr': m = { op, path: r.str(), name: r.str(), value: r.bytes(), flags: r.u32() }; break;
    case 'removexattr': m = { op, path: r.str(), name: r.str() }; break;
    case 'xattrs': {
      const path = r.str();
      const count = r.u32();
      if (count > 65536) throw new WireError(`${count} extended attributes announced`);
      const attrs: [string, Buffer][] = [];
      for (let i = 0; i < count; i++) attrs.push([r.str(), r.bytes()]);
      m = { op, path, attrs };
      break;
    }
    case 'ensure': {
      const path = r.str();
      const kind = KINDS[r.u8()];
      if (!kind) throw new WireError('unknown entry kind');
      m = { op, path, kind, mode: r.u32(), uid: r.u32(), gid: r.u32(), size: r.num(), rdev: r.u32(), target: r.str() };
      break;
    }
  }
  r.end();
  return { kind: 'op', seq, root, op: m };
}

/**
 * Cuts a byte stream into frame bodies: push what the socket delivered, take the complete frames.
 * A length above MAX_FRAME is refused (a corrupt or hostile stream must not make us allocate).
 */
export class FrameSplitter {
  // chunks as they came, joined only when a whole frame is there: a 1 MiB frame arrives in ~64 TLS
  // records, and joining at every chunk would copy it 32 times over
  private chunks: Buffer[] = [];
  private size = 0;

  push(chunk: Buffer): Buffer[] {
    this.chunks.push(chunk);
    this.size += chunk.length;
    const frames: Buffer[] = [];
    for (;;) {
      if (this.size < 4) break;
      if (this.chunks[0].length < 4) this.join();
      const len = this.chunks[0].readUInt32LE(0);
      if (len > MAX_FRAME) throw new WireError(`frame of ${len} bytes announced; at most ${MAX_FRAME}`);
      if (this.size < 4 + len) break;
      if (this.chunks[0].length < 4 + len) this.join();
      const head = this.chunks[0];
      frames.push(head.subarray(4, 4 + len));
      this.size -= 4 + len;
      if (head.length === 4 + len) this.chunks.shift();
      else this.chunks[0] = head.subarray(4 + len);
    }
    return frames;
  }

  private join(): void {
    this.chunks = [Buffer.concat(this.chunks)];
  }
}
