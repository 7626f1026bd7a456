// Applies the mutations of a replicated directory (src/fuse/passthrough.ts Mutation) to a copy, in
// order: what the secondary does with the replication stream. Synchronous on purpose: a mutation
// is applied when this returns; an fsync mutation makes the copy's file durable.

import * as fs from 'node:fs';
import { dirname, join, normalize } from 'node:path';
import type { StreamOp, ResyncOp } from './wire.js';
import { fallocate, listXattrs, makeSpecial, removeXattr, setXattr } from '../fuse/syscalls.js';
import { reachable } from '../fuse/long-paths.js';

/** Operations that change no name and no kind: the descriptors kept for writes stay valid across them. */
const KEEPS_DESCRIPTORS: ReadonlySet<StreamOp['op']> = new Set(['write', 'fsync', 'truncate', 'utimens', 'chmod', 'chown', 'fallocate', 'setxattr', 'removexattr', 'xattrs']);

/** Descriptors kept open for writes (a sequential writer sends one frame per 1 MiB). */
const OPEN_FILES = 64;

export class CopyApplier {
  private readonly open = new Map<string, number>();

  constructor(private readonly root: string) {}

  /** A descriptor for writing `rel`, kept while only writes, truncates and fsyncs come. */
  private writable(rel: string): number {
    let fd = this.open.get(rel);
    if (fd === undefined) {
      fd = fs.openSync(this.path(rel), fs.constants.O_WRONLY);
      if (this.open.size >= OPEN_FILES) this.closeAll();
      this.open.set(rel, fd);
    }
    return fd;
  }

  /** Before anything that changes names or kinds: a kept descriptor could name another file after. */
  closeAll(): void {
    for (const fd of this.open.values()) fs.closeSync(fd);
    this.open.clear();
  }

  private path(rel: string): string {
    const clean = normalize(rel);
    if (clean.startsWith('..') || clean.startsWith('/')) throw new Error(`mutation path "${rel}" leaves the replicated directory`);
    return reachable(join(this.root, clean));
  }

  apply(m: StreamOp): void {
    if (!KEEPS_DESCRIPTORS.has(m.op)) this.closeAll();
    switch (m.op) {
      case 'remove': return fs.rmSync(this.path(m.path), { recursive: true, force: true });
      case 'ensure': return this.ensure(m);
      case 'write': {
        const fd = this.writable(m.path);
        for (let at = 0; at < m.data.length;) at += fs.writeSync(fd, m.data, at, m.data.length - at, m.offset + at);
        return;
      }
      case 'truncate': return fs.truncateSync(this.path(m.path), m.size);
      case 'create': {
        const fd = fs.openSync(this.path(m.path), fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_TRUNC, m.mode);
        try { fs.fchmodSync(fd, m.mode); fs.fchownSync(fd, m.uid, m.gid); } finally { fs.closeSync(fd); }
        return;
      }
      case 'mknod':
        if ((m.mode & 0o170000) === 0o100000) fs.closeSync(fs.openSync(this.path(m.path), fs.constants.O_CREAT | fs.constants.O_EXCL | fs.constants.O_WRONLY, m.mode & 0o7777));
        else makeSpecial(this.path(m.path), m.mode, m.rdev);
        fs.chmodSync(this.path(m.path), m.mode & 0o7777);
        return fs.lchownSync(this.path(m.path), m.uid, m.gid);
      case 'mkdir':
        fs.mkdirSync(this.path(m.path), m.mode);
        fs.chmodSync(this.path(m.path), m.mode);
        return fs.lchownSync(this.path(m.path), m.uid, m.gid);
      case 'symlink':
        fs.symlinkSync(m.target, this.path(m.path));
        return fs.lchownSync(this.path(m.path), m.uid, m.gid);
      case 'unlink': return fs.unlinkSync(this.path(m.path));
      case 'rmdir': return fs.rmdirSync(this.path(m.path));
      case 'rename':
        if (m.noReplace && fs.existsSync(this.path(m.to))) throw new Error(`rename ${m.from} → ${m.to}: the copy already has ${m.to}`);
        return fs.renameSync(this.path(m.from), this.path(m.to));
      case 'fallocate': return fallocate(this.path(m.path), m.mode, m.offset, m.length);
      // the copy takes the result, whatever XATTR_CREATE or XATTR_REPLACE said on the primary
      case 'setxattr': return setXattr(this.path(m.path), m.name, m.value, 0);
      case 'removexattr': return ignoreNoData(() => removeXattr(this.path(m.path), m.name));
      case 'xattrs': return this.replaceXattrs(m.path, new Map(m.attrs));
      case 'chmod': return fs.chmodSync(this.path(m.path), m.mode);
      case 'chown': return fs.lchownSync(this.path(m.path), m.uid, m.gid);
      case 'utimens': return fs.lutimesSync(this.path(m.path), Number(m.atimeNs) / 1e9, Number(m.mtimeNs) / 1e9);
      case 'fsync': {
        const fd = this.open.get(m.path);
        if (fd !== undefined) { if (m.dataOnly) fs.fdatasyncSync(fd); else fs.fsyncSync(fd); return; }
        const once = fs.openSync(this.path(m.path), fs.constants.O_RDONLY);
        try { if (m.dataOnly) fs.fdatasyncSync(once); else fs.fsyncSync(once); } finally { fs.closeSync(once); }
        return;
      }
    }
  }

  /** The entry's extended attributes become exactly `want`: only the differences cost a call. */
  private replaceXattrs(rel: string, want: ReadonlyMap<string, Buffer>): void {
    const at = this.path(rel);
    const have = listXattrs([at])[0];
    if (typeof have === 'number') throw Object.assign(new Error(`extended attributes of ${rel}: errno ${-have}`), { errno: have });
    for (const name of have.keys()) if (!want.has(name)) ignoreNoData(() => removeXattr(at, name));
    for (const [name, value] of want) if (!have.get(name)?.equals(value)) setXattr(at, name, value, 0);
  }

  /** Makes the entry what the primary has (resync): same kind, size and metadata; content and
   * times follow in their own operations. */
  private ensure(m: Extract<ResyncOp, { op: 'ensure' }>): void {
    const at = this.path(m.path);
    let st: fs.Stats | null = null;
    try { st = fs.lstatSync(at); } catch { /* missing: created below */ }
    const same = st !== null && (m.kind === 'file' ? st.isFile() : m.kind === 'dir' ? st.isDirectory() : m.kind === 'symlink' ? st.isSymbolicLink() && fs.readlinkSync(at) === m.target
      : (st.mode & 0o170000) === (m.mode & 0o170000) && st.rdev === m.rdev);
    if (st !== null && !same) fs.rmSync(at, { recursive: true, force: true });
    if (m.path !== '' && m.path !== '.') fs.mkdirSync(dirname(at), { recursive: true });
    if (!same) {
      if (m.kind === 'file') fs.closeSync(fs.openSync(at, fs.constants.O_CREAT | fs.constants.O_WRONLY, 0o600));
      else if (m.kind === 'dir') fs.mkdirSync(at, { recursive: true });
      else if (m.kind === 'symlink') fs.symlinkSync(m.target, at);
      else makeSpecial(at, m.mode, m.rdev);
    }
    if (m.kind === 'file' && (st === null || !same || st.size !== m.size)) fs.truncateSync(at, m.size);
    if (m.kind !== 'symlink') fs.chmodSync(at, m.mode & 0o7777);
    fs.lchownSync(at, m.uid, m.gid);
  }
}

/** A removal of what is already gone is no error for the copy. */
function ignoreNoData(f: () => void): void {
  try { f(); } catch (e) { if ((e as { errno?: number }).errno !== -61) throw e; }
}
