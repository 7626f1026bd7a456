// A small zip reader and writer for .safe module packages and cluster zips: deflate or stored
// entries, no zip64, no encryption. Reading refuses anything that could escape the target
// directory (absolute names, "..", backslashes) so an untrusted package changes nothing outside.

import { crc32, deflateRawSync, inflateRawSync } from 'node:zlib';

export interface ZipEntry {
  /** Relative path with "/" separators; directories are implied by file names. */
  readonly name: string;
  readonly data: Buffer;
  /** Unix permission bits (0o755 for scripts); 0o644 when the archive does not say. */
  readonly mode: number;
}

export class ZipError extends Error {}

const LOCAL = 0x04034b50;
const CENTRAL = 0x02014b50;
const END = 0x06054b50;
const MAX_ENTRY = 256 * 1024 * 1024;

export function writeZip(entries: readonly ZipEntry[]): Buffer {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const e of entries) {
    const name = Buffer.from(e.name, 'utf8');
    const packed = deflateRawSync(e.data);
    const crc = crc32(e.data);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(LOCAL, 0);
    local.writeUInt16LE(20, 4); // version needed
    local.writeUInt16LE(0x0800, 6); // names are UTF-8
    local.writeUInt16LE(8, 8); // deflate
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(packed.length, 18);
    local.writeUInt32LE(e.data.length, 22);
    local.writeUInt16LE(name.length, 26);
    locals.push(local, name, packed);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(CENTRAL, 0);
    central.writeUInt16LE((3 << 8) | 20, 4); // made by Unix, so external attributes carry the mode
    central.writeUInt16LE(20, 6);
    central.writeUInt16LE(0x0800, 8);
    central.writeUInt16LE(8, 10);
    central.writeUInt32LE(crc, 16);
    central.writeUInt32LE(packed.length, 20);
    central.writeUInt32LE(e.data.length, 24);
    central.writeUInt16LE(name.length, 28);
    central.writeUInt32LE(((0o100000 | e.mode) << 16) >>> 0, 38);
    central.writeUInt32LE(offset, 42);
    centrals.push(central, name);
    offset += local.length + name.length + packed.length;
  }
  const dir = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(END, 0);
  end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(dir.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, dir, end]);
}

/** A safe relative name, or null: no absolute paths, no "..", no backslashes, no NUL. */
export function safeEntryName(name: string): string | null {
  if (!name || name.startsWith('/') || name.includes('\\') || name.includes('\0')) return null;
  const parts = name.split('/').filter((p) => p !== '' && p !== '.');
  if (parts.length === 0 || parts.some((p) => p === '..')) return null;
  return parts.join('/');
}

export function readZip(buf: Buffer): ZipEntry[] {
  const endAt = findEnd(buf);
  const count = buf.readUInt16LE(endAt + 10);
  let at = buf.readUInt32LE(endAt + 16);
  const entries: ZipEntry[] = [];
  for (let i = 0; i < count; i++) {
    need(buf, at, 46, 'central directory');
    if (buf.readUInt32LE(at) !== CENTRAL) throw new ZipError(`entry ${i + 1}: bad central directory signature`);
    const flags = buf.readUInt16LE(at + 8);
    const method = buf.readUInt16LE(at + 10);
    const crc = buf.readUInt32LE(at + 16);
    const packedSize = buf.readUInt32LE(at + 20);
    const size = buf.readUInt32LE(at + 24);
    const nameLen = buf.readUInt16LE(at + 28);
    const extraLen = buf.readUInt16LE(at + 30);
    const commentLen = buf.readUInt16LE(at + 32);
    const madeBy = buf.readUInt16LE(at + 4) >> 8;
    const external = buf.readUInt32LE(at + 38);
    const localAt = buf.readUInt32LE(at + 42);
    need(buf, at + 46, nameLen, 'entry name');
    const rawName = buf.toString('utf8', at + 46, at + 46 + nameLen);
    at += 46 + nameLen + extraLen + commentLen;
    if (rawName.endsWith('/')) continue; // directory entry
    const name = safeEntryName(rawName);
    if (!name) throw new ZipError(`entry "${rawName}" would be written outside the target directory`);
    if (flags & 1) throw new ZipError(`entry "${name}" is encrypted, which is not supported`);
    if (size > MAX_ENTRY || packedSize === 0xffffffff) throw new ZipError(`entry "${name}" is too large (zip64 is not supported)`);
    need(buf, localAt, 30, `local header of "${name}"`);
    if (buf.readUInt32LE(localAt) !== LOCAL) throw new ZipError(`entry "${name}": bad local header signature`);
    const dataAt = localAt + 30 + buf.readUInt16LE(localAt + 26) + buf.readUInt16LE(localAt + 28);
    need(buf, dataAt, packedSize, `data of "${name}"`);
    const packed = buf.subarray(dataAt, dataAt + packedSize);
    let data: Buffer;
    if (method === 0) data = Buffer.from(packed);
    else if (method === 8) {
      try { data = inflateRawSync(packed, { maxOutputLength: MAX_ENTRY }); } catch (e) { throw new ZipError(`entry "${name}": ${(e as Error).message}`); }
    } else throw new ZipError(`entry "${name}" uses compression method ${method}; only stored and deflate are supported`);
    if (data.length !== size || crc32(data) !== crc) throw new ZipError(`entry "${name}" is corrupt (size or CRC mismatch)`);
    const unixMode = madeBy === 3 ? (external >>> 16) & 0o777 : 0;
    entries.push({ name, data, mode: unixMode || 0o644 });
  }
  return entries;
}

function findEnd(buf: Buffer): number {
  for (let at = buf.length - 22; at >= Math.max(0, buf.length - 22 - 0xffff); at--) {
    if (buf.readUInt32LE(at) === END) return at;
  }
  throw new ZipError('not a zip file (no end-of-central-directory record)');
}

function need(buf: Buffer, at: number, len: number, what: string): void {
  if (at < 0 || at + len > buf.length) throw new ZipError(`truncated zip: ${what} runs past the end of the file`);
}
