// The replication stream on the wire: one frame per mutation, numbered, so that the secondary
// applies them in order and acknowledges by number (and, with several connections, restores the
// order). Pure: bytes in, values out; a frame that is not exactly what encode() writes is refused
// with the reason, never half-read.
//
//   frame = length u32 (of what follows) | seq u64 | op u8 | fields
//   string = length u32 | UTF-8 bytes        data = length u32 | bytes
//   numbers: u32 for modes and ids, u64 for offsets, sizes and nanoseconds (little-endian)

import type { Mutation } from '../fuse/passthrough.js';

const OPS = ['write', 'truncate', 'create', 'mkdir', 'symlink', 'unlink', 'rmdir', 'rename', 'chmod', 'chown', 'utimens', 'fsync', 'mknod'] as const;
const CODE = new Map<string, number>(OPS.map((op, i) => [op, i + 1]));

/** The largest frame we accept: a 1 MiB write, its path and headers. */
export const MAX_FRAME = 1024 * 1024 + 64 * 1024;

export class WireError extends Error {}

class Writer {
  private readonly parts: Buffer[] = [];
  u8(v: number): this { const b = Buffer.alloc(1); b.writeUInt8(v); this.parts.push(b); return this; }
  u32(v: number): this { const b = Buffer.alloc(4); b.writeUInt32LE(v); this.parts.push(b); return this; }
  u64(v: bigint | number): this { const b = Buffer.alloc(8); b.writeBigUInt64LE(BigInt(v)); this.parts.push(b); return this; }
  bytes(v: Buffer): this { this.u32(v.length); this.parts.push(v); return this; }
  str(v: string): this { return this.bytes(Buffer.from(v, 'utf8')); }
  done(): Buffer { return Buffer.concat(this.parts); }
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
  bytes(): Buffer { const n = this.u32(); this.need(n); const v = this.b.subarray(this.at, this.at + n); this.at += n; return Buffer.from(v); }
  str(): string {
    const s = this.bytes().toString('utf8');
    if (s.includes('\0')) throw new WireError('a path holds a NUL byte');
    return s;
  }
  end(): void { if (this.at !== this.b.length) throw new WireError(`${this.b.length - this.at} bytes after the last field`); }
}

export function encodeFrame(seq: bigint, m: Mutation): Buffer {
  const w = new Writer().u64(seq).u8(CODE.get(m.op)!);
  switch (m.op) {
    case 'write': w.str(m.path).u64(m.offset).bytes(m.data); break;
    case 'truncate': w.str(m.path).u64(m.size); break;
    case 'create': case 'mkdir': w.str(m.path).u32(m.mode).u32(m.uid).u32(m.gid); break;
    case 'symlink': w.str(m.path).str(m.target).u32(m.uid).u32(m.gid); break;
    case 'unlink': case 'rmdir': w.str(m.path); break;
    case 'rename': w.str(m.from).str(m.to).u8(m.noReplace ? 1 : 0); break;
    case 'chmod': w.str(m.path).u32(m.mode); break;
    case 'chown': w.str(m.path).u32(m.uid).u32(m.gid); break;
    case 'utimens': w.str(m.path).u64(m.atimeNs).u64(m.mtimeNs); break;
    case 'fsync': w.str(m.path).u8(m.dataOnly ? 1 : 0); break;
    case 'mknod': w.str(m.path).u32(m.mode).u32(m.rdev).u32(m.uid).u32(m.gid); break;
  }
  const body = w.done();
  const len = Buffer.alloc(4);
  len.writeUInt32LE(body.length);
  return Buffer.concat([len, body]);
}

/** One frame body (without its length prefix). */
export function decodeFrame(body: Buffer): { seq: bigint; mutation: Mutation } {
  const r = new Reader(body);
  const seq = r.u64();
  const code = r.u8();
  const op = OPS[code - 1];
  if (!op) throw new WireError(`unknown operation code ${code}`);
  let m: Mutation;
  switch (op) {
    case 'write': m = { op, path: r.str(), offset: r.num(), data: r.bytes() }; break;
    case 'truncate': m = { op, path: r.str(), size: r.num() }; break;
    case 'create': case 'mkdir': m = { op, path: r.str(), mode: r.u32(), uid: r.u32(), gid: r.u32() }; break;
    case 'symlink': m = { op, path: r.str(), target: r.str(), uid: r.u32(), gid: r.u32() }; break;
    case 'unlink': case 'rmdir': m = { op, path: r.str() }; break;
    case 'rename': m = { op, from: r.str(), to: r.str(), noReplace: r.u8() === 1 }; break;
    case 'chmod': m = { op, path: r.str(), mode: r.u32() }; break;
    case 'chown': m = { op, path: r.str(), uid: r.u32(), gid: r.u32() }; break;
    case 'utimens': m = { op, path: r.str(), atimeNs: r.u64(), mtimeNs: r.u64() }; break;
    case 'fsync': m = { op, path: r.str(), dataOnly: r.u8() === 1 }; break;
    case 'mknod': m = { op, path: r.str(), mode: r.u32(), rdev: r.u32(), uid: r.u32(), gid: r.u32() }; break;
  }
  r.end();
  return { seq, mutation: m };
}

/**
 * Cuts a byte stream into frame bodies: push what the socket delivered, take the complete frames.
 * A length above MAX_FRAME is refused (a corrupt or hostile stream must not make us allocate).
 */
export class FrameSplitter {
  private pending: Buffer = Buffer.alloc(0);

  push(chunk: Buffer): Buffer[] {
    this.pending = this.pending.length ? Buffer.concat([this.pending, chunk]) : chunk;
    const frames: Buffer[] = [];
    while (this.pending.length >= 4) {
      const len = this.pending.readUInt32LE(0);
      if (len > MAX_FRAME) throw new WireError(`frame of ${len} bytes announced; at most ${MAX_FRAME}`);
      if (this.pending.length < 4 + len) break;
      frames.push(this.pending.subarray(4, 4 + len));
      this.pending = this.pending.subarray(4 + len);
    }
    return frames;
  }
}
