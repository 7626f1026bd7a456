// Encoding and decoding the FUSE structures tandem exchanges with the kernel (kernel.ts has the
// sizes). Pure: buffers in, buffers out.

import type { BigIntStats } from 'node:fs';
import { ATTR_OUT, DIRENT, ENTRY_OUT, INIT_FLAGS, INIT_OUT, MAX_WRITE, OPEN_OUT, OUT_HEADER, STATFS_OUT } from './kernel.js';

export interface RequestHeader {
  readonly len: number;
  readonly opcode: number;
  readonly unique: bigint;
  readonly nodeid: bigint;
  readonly uid: number;
  readonly gid: number;
  readonly pid: number;
}

export function readHeader(req: Buffer): RequestHeader {
  return {
    len: req.readUInt32LE(0), opcode: req.readUInt32LE(4), unique: req.readBigUInt64LE(8), nodeid: req.readBigUInt64LE(16),
    uid: req.readUInt32LE(24), gid: req.readUInt32LE(28), pid: req.readUInt32LE(32),
  };
}

export function outHeader(unique: bigint, error: number, payloadLength: number): Buffer {
  const h = Buffer.alloc(OUT_HEADER);
  h.writeUInt32LE(OUT_HEADER + payloadLength, 0);
  h.writeInt32LE(error, 4);
  h.writeBigUInt64LE(unique, 8);
  return h;
}

/** A NUL-terminated string at `offset`, and where the next field starts. */
export function cstring(b: Buffer, offset: number): { value: string; next: number } {
  const end = b.indexOf(0, offset);
  const stop = end < 0 ? b.length : end;
  return { value: b.toString('utf8', offset, stop), next: stop + 1 };
}

const NS = 1_000_000_000n;

function putAttr(st: BigIntStats, b: Buffer, o: number): void {
  b.writeBigUInt64LE(st.ino, o);
  b.writeBigUInt64LE(st.size, o + 8);
  b.writeBigUInt64LE(st.blocks, o + 16);
  b.writeBigUInt64LE(st.atimeNs / NS, o + 24);
  b.writeBigUInt64LE(st.mtimeNs / NS, o + 32);
  b.writeBigUInt64LE(st.ctimeNs / NS, o + 40);
  b.writeUInt32LE(Number(st.atimeNs % NS), o + 48);
  b.writeUInt32LE(Number(st.mtimeNs % NS), o + 52);
  b.writeUInt32LE(Number(st.ctimeNs % NS), o + 56);
  b.writeUInt32LE(Number(st.mode), o + 60);
  b.writeUInt32LE(Number(st.nlink), o + 64);
  b.writeUInt32LE(Number(st.uid), o + 68);
  b.writeUInt32LE(Number(st.gid), o + 72);
  b.writeUInt32LE(Number(st.rdev), o + 76);
  b.writeUInt32LE(Number(st.blksize), o + 80);
}

/** How long the kernel may cache names and attributes, in seconds. */
export interface Validity { readonly entry: bigint; readonly attr: bigint }

export function attrOut(st: BigIntStats, validity: Validity): Buffer {
  const b = Buffer.alloc(ATTR_OUT);
  b.writeBigUInt64LE(validity.attr, 0);
  putAttr(st, b, 16);
  return b;
}

export function entryOut(nodeid: bigint, st: BigIntStats, validity: Validity): Buffer {
  const b = Buffer.alloc(ENTRY_OUT);
  b.writeBigUInt64LE(nodeid, 0);
  b.writeBigUInt64LE(0n, 8); // generation: node ids are never reused within a mount
  b.writeBigUInt64LE(validity.entry, 16);
  b.writeBigUInt64LE(validity.attr, 24);
  putAttr(st, b, 40);
  return b;
}

export function openOut(fh: number): Buffer {
  const b = Buffer.alloc(OPEN_OUT);
  b.writeBigUInt64LE(BigInt(fh), 0);
  return b;
}

export function u32Out(value: number): Buffer {
  const b = Buffer.alloc(8);
  b.writeUInt32LE(value, 0);
  return b;
}

export function statfsOut(s: { blocks: number; bfree: number; bavail: number; files: number; ffree: number; bsize: number }): Buffer {
  const b = Buffer.alloc(STATFS_OUT);
  b.writeBigUInt64LE(BigInt(s.blocks), 0);
  b.writeBigUInt64LE(BigInt(s.bfree), 8);
  b.writeBigUInt64LE(BigInt(s.bavail), 16);
  b.writeBigUInt64LE(BigInt(s.files), 24);
  b.writeBigUInt64LE(BigInt(s.ffree), 32);
  b.writeUInt32LE(s.bsize, 40);
  b.writeUInt32LE(255, 44);
  b.writeUInt32LE(s.bsize, 48);
  return b;
}

/** Our answer to the kernel's INIT: protocol 7.31 (or the kernel's, if older), 1 MiB writes. */
export function initOut(body: Buffer): { reply: Buffer; kernel: string } {
  const major = body.readUInt32LE(0);
  const minor = body.readUInt32LE(4);
  const readahead = body.readUInt32LE(8);
  const offered = body.readUInt32LE(12);
  const want = INIT_FLAGS.ASYNC_READ | INIT_FLAGS.BIG_WRITES | INIT_FLAGS.MAX_PAGES | INIT_FLAGS.ATOMIC_O_TRUNC | INIT_FLAGS.DONT_MASK | INIT_FLAGS.POSIX_ACL;
  const b = Buffer.alloc(INIT_OUT);
  b.writeUInt32LE(7, 0);
  b.writeUInt32LE(Math.min(minor, 31), 4);
  b.writeUInt32LE(readahead, 8);
  b.writeUInt32LE(offered & want, 12);
  b.writeUInt16LE(16, 16); // max_background
  b.writeUInt16LE(12, 18); // congestion_threshold
  b.writeUInt32LE(MAX_WRITE, 20);
  b.writeUInt32LE(1, 24); // time_gran: nanoseconds
  b.writeUInt16LE(MAX_WRITE / 4096, 28); // max_pages
  return { reply: b, kernel: `${major}.${minor}` };
}

export interface DirEntry { readonly name: string; readonly type: number; readonly ino: bigint }

/** DT_* of a directory entry from a file mode. */
export function direntType(mode: number): number {
  return (mode >> 12) & 0o17;
}

/**
 * Entries from index `from` packed as fuse_dirent records into at most `size` bytes; each record's
 * `off` is the index of the next entry, so the kernel asks for the rest from there.
 */
export function packDirents(entries: readonly DirEntry[], from: number, size: number): Buffer {
  const out = Buffer.alloc(size);
  let used = 0;
  for (let i = from; i < entries.length; i++) {
    const name = Buffer.from(entries[i].name);
    const record = (DIRENT + name.length + 7) & ~7;
    if (used + record > size) break;
    out.writeBigUInt64LE(entries[i].ino, used);
    out.writeBigUInt64LE(BigInt(i + 1), used + 8);
    out.writeUInt32LE(name.length, used + 16);
    out.writeUInt32LE(entries[i].type, used + 20);
    name.copy(out, used + DIRENT);
    used += record;
  }
  return out.subarray(0, used);
}

