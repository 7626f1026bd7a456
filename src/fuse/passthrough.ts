// The FUSE operations of a replicated directory, applied to the directory underneath the mount
// (reached through a descriptor opened before mounting: `/proc/self/fd/N/.`, never through the
// mount path, which would deadlock — RECIPES §1b). Every mutation that succeeded locally is handed
// to `onMutation` in the order the kernel's requests were applied: that is the replication seam.
// It runs in the mount's worker thread, each request answered before the next is read.
//
// Timestamps are set with microsecond precision (Node's utimes takes seconds as a double); special
// files, fallocate and extended attributes are made by a helper process (syscalls.ts), the
// attributes read through a cache (xattr-cache.ts). Hard links are refused on purpose (EPERM and a log line):
// a replicated tree cannot keep them on the secondary (SAFEKIT-BEHAVIOUR §2.6). POSIX and flock
// locks are the kernel's own (we do not negotiate FUSE_POSIX_LOCKS).

import * as fs from 'node:fs';
import { attrOut, cstring, direntType, entryOut, initOut, openOut, packDirents, readHeader, statfsOut, u32Out, type DirEntry, type Validity } from './codec.js';
import { ERRNO, FATTR, FSYNC_FDATASYNC, GETATTR_FH, IN_HEADER, OP, OP_NAME } from './kernel.js';
import { fallocate, makeSpecial, removeXattr, setXattr } from './syscalls.js';
import { XattrCache } from './xattr-cache.js';
import { Reach } from './long-paths.js';
import { isWithin } from '../shared/paths.js';

export type Mutation =
  | { readonly op: 'write'; readonly path: string; readonly offset: number; readonly data: Buffer }
  | { readonly op: 'truncate'; readonly path: string; readonly size: number }
  | { readonly op: 'create'; readonly path: string; readonly mode: number; readonly uid: number; readonly gid: number }
  | { readonly op: 'mknod'; readonly path: string; readonly mode: number; readonly rdev: number; readonly uid: number; readonly gid: number }
  | { readonly op: 'mkdir'; readonly path: string; readonly mode: number; readonly uid: number; readonly gid: number }
  | { readonly op: 'symlink'; readonly path: string; readonly target: string; readonly uid: number; readonly gid: number }
  | { readonly op: 'unlink' | 'rmdir'; readonly path: string }
  | { readonly op: 'rename'; readonly from: string; readonly to: string; readonly noReplace: boolean }
  | { readonly op: 'chmod'; readonly path: string; readonly mode: number }
  | { readonly op: 'chown'; readonly path: string; readonly uid: number; readonly gid: number }
  | { readonly op: 'utimens'; readonly path: string; readonly atimeNs: bigint; readonly mtimeNs: bigint }
  | { readonly op: 'fsync'; readonly path: string; readonly dataOnly: boolean }
  /** fallocate(2), `mode` as the kernel passed it (FALLOC_FL_*). */
  | { readonly op: 'fallocate'; readonly path: string; readonly mode: number; readonly offset: number; readonly length: number }
  /** lsetxattr(2) / lremovexattr(2); `flags` XATTR_CREATE or XATTR_REPLACE as the application gave them. */
  | { readonly op: 'setxattr'; readonly path: string; readonly name: string; readonly value: Buffer; readonly flags: number }
  | { readonly op: 'removexattr'; readonly path: string; readonly name: string };

/** Answers one request (error 0 with a payload, or a negative errno). */
export type Reply = (unique: bigint, error: number, payload?: Buffer) => void;

export interface PassthroughOptions {
  /** The directory underneath the mount, reached without going through the mount (and reachable by
   * child processes: /proc/<our pid>/fd/N/., not /proc/self). */
  readonly root: string;
  /** Every change applied locally, in order, before the request is answered (serve-worker.ts
   * makes that answer wait until the change is replicated, unless `answerWaits` is false). */
  readonly onMutation?: (m: Mutation, answerWaits: boolean) => void;
  /** `info`: the mount's own news; otherwise something an operator should see (a refused request). */
  readonly log?: (text: string, info?: boolean) => void;
}

const VALIDITY: Validity = { entry: 1n, attr: 1n };
/** The extended attributes that hold POSIX ACLs (access and default). */
const POSIX_ACL = 'system.posix_acl_';
const RENAME_NOREPLACE = 1;

/** `gone`: its name was removed or replaced; it lives on only through files still open on it. */
interface Node { rel: string; lookups: number; gone?: boolean }
interface OpenFile { readonly fd: number; readonly node: bigint; rel: string | null; wrote?: boolean }

/** Requests that change the tree (OPEN only with a writing or truncating flag). */
const CHANGES = new Set<number>([OP.SETATTR, OP.SYMLINK, OP.MKNOD, OP.MKDIR, OP.UNLINK, OP.RMDIR, OP.RENAME, OP.RENAME2, OP.LINK, OP.CREATE, OP.WRITE, OP.FALLOCATE, OP.SETXATTR, OP.REMOVEXATTR]);
const WRITING = fs.constants.O_WRONLY | fs.constants.O_RDWR | fs.constants.O_TRUNC;

/** Runs in the mount's worker thread (serve-worker.ts); every request is handled synchronously. */
export class Passthrough {
  private readonly nodes = new Map<bigint, Node>([[1n, { rel: '', lookups: 1 }]]);
  private readonly byRel = new Map<string, bigint>([['', 1n]]);
  private nextNode = 2n;
  /** Open files: our fh → the descriptor and the path the file has now (for the mutation log; it
   * follows renames; null once the name was removed or replaced: nothing of it is replicated then,
   * the copy has no such file). */
  private readonly files = new Map<number, OpenFile>();
  /** Extended attributes read so far (the kernel asks before every write). */
  private readonly xattrs: XattrCache;
  private readonly dirs = new Map<number, DirEntry[]>();
  private nextHandle = 1;
  readonly counts: Record<string, number> = {};
  /** While set, every request that would change the tree is refused with EROFS: the mount is the
   * read-only view of a secondary's copy (or of a node between roles). */
  readOnly = false;
  /** Paths past PATH_MAX underneath: the directories opened for them are closed after each request. */
  private readonly reach = new Reach();

  constructor(private readonly o: PassthroughOptions) {
    this.xattrs = new XattrCache((rel) => this.full(rel));
  }

  /** Handles one request. A write's data reaches onMutation as a view of `req`: the caller must
   * read the next request into other memory when it keeps that data. */
  handle(req: Buffer, reply: Reply): void {
    const h = readHeader(req);
    const body = req.subarray(IN_HEADER, h.len);
    const name = OP_NAME[h.opcode] ?? String(h.opcode);
    this.xattrs.readOnly = this.readOnly;
    this.counts[name] = (this.counts[name] ?? 0) + 1;
    try {
      this.dispatch(h.opcode, h.nodeid, h.uid, h.gid, body, h.unique, reply);
    } catch (e) {
      const errno = (e as NodeJS.ErrnoException).errno;
      reply(h.unique, typeof errno === 'number' && errno < 0 ? errno : ERRNO.EIO);
    } finally {
      this.reach.release();
    }
  }

  /** The path underneath of an entry, valid until the end of the current request (long-paths.ts). */
  private full(rel: string): string {
    return rel ? this.reach.path(`${this.o.root}/${rel}`) : this.o.root;
  }

  private relOf(nodeid: bigint): string {
    const n = this.nodes.get(nodeid);
    if (!n) throw Object.assign(new Error('stale node'), { errno: ERRNO.ESTALE });
    return n.rel;
  }

  private child(parent: bigint, name: string): string {
    const r = this.relOf(parent);
    return r ? `${r}/${name}` : name;
  }

  /** `st`: the entry's attributes when the caller has just read them. */
  private entry(rel: string, st = fs.lstatSync(this.full(rel), { bigint: true })): Buffer {
    let id = this.byRel.get(rel);
    if (id === undefined) {
      id = this.nextNode++;
      this.byRel.set(rel, id);
      this.nodes.set(id, { rel, lookups: 0 });
    }
    this.nodes.get(id)!.lookups++;
    return entryOut(id, st, VALIDITY);
  }

  private forget(id: bigint, n: bigint): void {
    const node = this.nodes.get(id);
    if (!node || id === 1n) return;
    node.lookups -= Number(n);
    if (node.lookups <= 0) {
      this.nodes.delete(id);
      if (this.byRel.get(node.rel) === id) this.byRel.delete(node.rel);
    }
  }

  private file(body: Buffer): OpenFile {
    const f = this.files.get(Number(body.readBigUInt64LE(0)));
    if (!f) throw Object.assign(new Error('bad handle'), { errno: ERRNO.EBADF });
    return f;
  }

  private emit(m: Mutation, answerWaits = true): void {
    this.o.onMutation?.(m, answerWaits);
  }

  /** A change to a file that may have lost its name (unlinked while open): replicated under its current name, if it has one. */
  private emitAt(rel: string | null, m: (path: string) => Mutation, answerWaits = true): void {
    if (rel !== null) this.emit(m(rel), answerWaits);
  }

  /**
   * The mode to create an entry with under directory `parent`, given the caller's mode and umask
   * (INIT: DONT_MASK, POSIX_ACL): as POSIX says, a directory with a default ACL gives the new entry
   * its ACL and the umask does not apply (the file system underneath inherits it: our umask is 0);
   * elsewhere the umask does.
   */
  private creationMode(parent: bigint, mode: number, umask: number): number {
    return this.xattrs.hasDefaultAcl(this.relOf(parent)) ? mode : mode & ~(umask & 0o7777);
  }

  /** A new entry belongs to the caller, as on a local file system (we run as root). */
  private own(path: string, uid: number, gid: number, fd?: number): void {
    if (fd !== undefined) fs.fchownSync(fd, uid, gid);
    else fs.lchownSync(path, uid, gid);
  }

  private dispatch(opcode: number, nodeid: bigint, uid: number, gid: number, body: Buffer, unique: bigint, reply: Reply): void {
    if (this.readOnly && (CHANGES.has(opcode) || (opcode === OP.OPEN && body.readUInt32LE(0) & WRITING))) return reply(unique, ERRNO.EROFS);
    switch (opcode) {
      case OP.INIT: {
        const { reply: out, kernel } = initOut(body);
        this.o.log?.(`FUSE protocol ${kernel} offered by the kernel; answering 7.31`, true);
        return reply(unique, 0, out);
      }
      case OP.DESTROY: return reply(unique, 0);
      case OP.FORGET: return this.forget(nodeid, body.readBigUInt64LE(0));
      case OP.BATCH_FORGET: {
        const count = body.readUInt32LE(0);
        for (let i = 0; i < count; i++) this.forget(body.readBigUInt64LE(8 + i * 16), body.readBigUInt64LE(16 + i * 16));
        return;
      }
      case OP.INTERRUPT: return;
      case OP.LOOKUP: return reply(unique, 0, this.entry(this.child(nodeid, cstring(body, 0).value)));
      case OP.GETATTR: {
        const open = body.readUInt32LE(0) & GETATTR_FH ? this.file(body.subarray(8)) : this.openOfGone(nodeid);
        const st = open ? fs.fstatSync(open.fd, { bigint: true }) : fs.lstatSync(this.full(this.relOf(nodeid)), { bigint: true });
        return reply(unique, 0, attrOut(st, VALIDITY));
      }
      case OP.SETATTR: return reply(unique, 0, this.setattr(nodeid, body));
      case OP.READLINK: return reply(unique, 0, Buffer.from(fs.readlinkSync(this.full(this.relOf(nodeid)))));
      case OP.SYMLINK: {
        const name = cstring(body, 0);
        const target = cstring(body, name.next).value;
        const rel = this.child(nodeid, name.value);
        fs.symlinkSync(target, this.full(rel));
        this.own(this.full(rel), uid, gid);
        this.xattrs.created(rel);
        this.emit({ op: 'symlink', path: rel, target, uid, gid });
        return reply(unique, 0, this.entry(rel));
      }
      case OP.MKNOD: {
        const rdev = body.readUInt32LE(4);
        const rel = this.child(nodeid, cstring(body, 16).value);
        const asked = this.creationMode(nodeid, body.readUInt32LE(0), body.readUInt32LE(8));
        if ((asked & 0o170000) === 0o100000) fs.closeSync(fs.openSync(this.full(rel), fs.constants.O_CREAT | fs.constants.O_EXCL | fs.constants.O_WRONLY, asked & 0o7777));
        else makeSpecial(this.full(rel), asked, rdev);
        this.own(this.full(rel), uid, gid);
        this.xattrs.created(rel);
        const st = fs.lstatSync(this.full(rel), { bigint: true });
        this.emit({ op: 'mknod', path: rel, mode: Number(st.mode), rdev, uid, gid }); // as a default ACL left it
        return reply(unique, 0, this.entry(rel, st));
      }
      case OP.MKDIR: {
        const rel = this.child(nodeid, cstring(body, 8).value);
        fs.mkdirSync(this.full(rel), this.creationMode(nodeid, body.readUInt32LE(0), body.readUInt32LE(4)) & 0o7777);
        this.own(this.full(rel), uid, gid);
        this.xattrs.created(rel);
        const st = fs.lstatSync(this.full(rel), { bigint: true });
        this.emit({ op: 'mkdir', path: rel, mode: Number(st.mode) & 0o7777, uid, gid });
        return reply(unique, 0, this.entry(rel, st));
      }
      case OP.UNLINK: case OP.RMDIR: {
        const rel = this.child(nodeid, cstring(body, 0).value);
        if (opcode === OP.UNLINK) fs.unlinkSync(this.full(rel)); else fs.rmdirSync(this.full(rel));
        // the name is free: a new entry there must get a new node id (the kernel may still hold the
        // old one, and seeing it come back as another kind of file marks the inode bad: EIO)
        this.gone(rel);
        this.byRel.delete(rel);
        this.emit({ op: opcode === OP.UNLINK ? 'unlink' : 'rmdir', path: rel });
        return reply(unique, 0);
      }
      case OP.RENAME: case OP.RENAME2: {
        const newdir = body.readBigUInt64LE(0);
        const flags = opcode === OP.RENAME2 ? body.readUInt32LE(8) : 0;
        const names = opcode === OP.RENAME2 ? 16 : 8;
        if (flags & ~RENAME_NOREPLACE) return reply(unique, ERRNO.EINVAL); // RENAME_EXCHANGE, WHITEOUT
        const oldName = cstring(body, names);
        const from = this.child(nodeid, oldName.value);
        const to = this.child(newdir, cstring(body, oldName.next).value);
        const noReplace = (flags & RENAME_NOREPLACE) !== 0;
        if (noReplace && fs.existsSync(this.full(to))) return reply(unique, ERRNO.EEXIST);
        fs.renameSync(this.full(from), this.full(to));
        if (from === to) return reply(unique, 0); // rename(2) onto itself: nothing happened
        this.renamed(from, to);
        this.emit({ op: 'rename', from, to, noReplace });
        return reply(unique, 0);
      }
      case OP.LINK:
        this.o.log?.(`hard link to ${this.relOf(body.readBigUInt64LE(0))} refused: a replicated directory cannot keep hard links`);
        return reply(unique, ERRNO.EPERM);
      case OP.OPEN: {
        const rel = this.relOf(nodeid);
        const flags = body.readUInt32LE(0);
        // a file whose name is gone (opened again through /proc/PID/fd/N) is reached through a descriptor of ours
        const gone = this.openOfGone(nodeid);
        const fd = fs.openSync(gone ? `/proc/self/fd/${gone.fd}` : this.full(rel), flags);
        const fh = this.nextHandle++;
        const file: OpenFile = { fd, node: nodeid, rel: gone ? null : rel };
        this.files.set(fh, file);
        // with ATOMIC_O_TRUNC the truncation of open(O_TRUNC) happens here, not in a SETATTR
        if (flags & fs.constants.O_TRUNC && flags & (fs.constants.O_WRONLY | fs.constants.O_RDWR)) this.emitAt(file.rel, (path) => ({ op: 'truncate', path, size: 0 }));
        return reply(unique, 0, openOut(fh));
      }
      case OP.CREATE: {
        const flags = body.readUInt32LE(0);
        const rel = this.child(nodeid, cstring(body, 16).value);
        const fd = fs.openSync(this.full(rel), flags | fs.constants.O_CREAT, this.creationMode(nodeid, body.readUInt32LE(4), body.readUInt32LE(8)) & 0o7777);
        this.own(this.full(rel), uid, gid, fd);
        const st = fs.fstatSync(fd, { bigint: true });
        const fh = this.nextHandle++;
        const entry = this.entry(rel, st);
        this.files.set(fh, { fd, node: this.byRel.get(rel)!, rel });
        this.xattrs.created(rel);
        this.emit({ op: 'create', path: rel, mode: Number(st.mode) & 0o7777, uid, gid }); // as a default ACL left it
        return reply(unique, 0, Buffer.concat([entry, openOut(fh)]));
      }
      case OP.READ: {
        const f = this.file(body);
        const size = body.readUInt32LE(16);
        const out = Buffer.allocUnsafe(size);
        const n = fs.readSync(f.fd, out, 0, size, Number(body.readBigUInt64LE(8)));
        return reply(unique, 0, out.subarray(0, n));
      }
      case OP.WRITE: {
        const f = this.file(body);
        const offset = Number(body.readBigUInt64LE(8));
        const size = body.readUInt32LE(16);
        const data = body.subarray(40, 40 + size);
        const n = fs.writeSync(f.fd, data, 0, size, offset);
        f.wrote = true;
        if (f.rel !== null) this.xattrs.wrote(f.rel);
        this.emitAt(f.rel, (path) => ({ op: 'write', path, offset, data: data.subarray(0, n) })); // a view: see handle()
        return reply(unique, 0, u32Out(n));
      }
      case OP.FALLOCATE: {
        const f = this.file(body);
        const offset = Number(body.readBigUInt64LE(8));
        const length = Number(body.readBigUInt64LE(16));
        const mode = body.readUInt32LE(24);
        fallocate(`/proc/${process.pid}/fd/${f.fd}`, mode, offset, length); // our descriptor: an unlinked file too
        f.wrote = true;
        this.emitAt(f.rel, (path) => ({ op: 'fallocate', path, mode, offset, length }));
        return reply(unique, 0);
      }
      case OP.STATFS: {
        const s = fs.statfsSync(this.o.root);
        return reply(unique, 0, statfsOut(s));
      }
      case OP.FLUSH:
        // Not needed: writes are made before they are answered, and the kernel keeps POSIX locks
        // itself. ENOSYS makes it stop sending FLUSH on this mount, so close(2) no longer waits
        // for a round trip to this server (one of the six a small file's create + write + close
        // cost); the file's times go to the copy at RELEASE instead.
        return reply(unique, ERRNO.ENOSYS);
      case OP.FSYNC: {
        const f = this.file(body);
        const dataOnly = (body.readUInt32LE(8) & FSYNC_FDATASYNC) !== 0;
        // handed on first, so that the copy flushes while this one does; the answer waits for both
        this.emitAt(f.rel, (path) => ({ op: 'fsync', path, dataOnly }));
        if (dataOnly) fs.fdatasyncSync(f.fd); else fs.fsyncSync(f.fd);
        return reply(unique, 0);
      }
      case OP.RELEASE: {
        const fh = Number(body.readBigUInt64LE(0));
        const f = this.files.get(fh);
        this.files.delete(fh);
        if (f?.wrote) {
          // the copy gets the file's times as they are now — its writes', or a later utimes' —
          // sent in order but not waited for (the kernel does not wait for RELEASE either; a copy
          // that missed it after a crash has the times of its own writes, nothing else)
          const st = fs.fstatSync(f.fd, { bigint: true });
          this.emitAt(f.rel, (path) => ({ op: 'utimens', path, atimeNs: st.atimeNs, mtimeNs: st.mtimeNs }), false);
        }
        if (f) fs.closeSync(f.fd);
        return reply(unique, 0);
      }
      case OP.OPENDIR: {
        const rel = this.relOf(nodeid);
        // d_ino is not the real inode (that would cost an lstat per entry; stat and LOOKUP give the
        // real one) but must not be 0: glibc's readdir skips entries whose d_ino is 0
        const ino = 0xffffffffn;
        const entries: DirEntry[] = [{ name: '.', type: 4, ino }, { name: '..', type: 4, ino }];
        for (const d of fs.readdirSync(this.full(rel), { withFileTypes: true })) {
          entries.push({ name: d.name, type: d.isDirectory() ? 4 : d.isSymbolicLink() ? 10 : d.isFile() ? 8 : direntType(fs.lstatSync(this.full(rel ? `${rel}/${d.name}` : d.name)).mode), ino });
        }
        const fh = this.nextHandle++;
        this.dirs.set(fh, entries);
        return reply(unique, 0, openOut(fh));
      }
      case OP.READDIR: {
        const entries = this.dirs.get(Number(body.readBigUInt64LE(0)));
        if (!entries) return reply(unique, ERRNO.EBADF);
        return reply(unique, 0, packDirents(entries, Number(body.readBigUInt64LE(8)), body.readUInt32LE(16)));
      }
      case OP.RELEASEDIR: this.dirs.delete(Number(body.readBigUInt64LE(0))); return reply(unique, 0);
      case OP.FSYNCDIR: {
        // a rename or a create is durable once its directory is (what a careful application
        // fsyncs after renaming a file into place): both copies' directories are flushed
        const rel = this.relOf(nodeid);
        const dataOnly = (body.readUInt32LE(8) & FSYNC_FDATASYNC) !== 0;
        this.emitAt(rel, (path) => ({ op: 'fsync', path, dataOnly }));
        const fd = fs.openSync(this.full(rel), fs.constants.O_RDONLY | fs.constants.O_DIRECTORY);
        try { fs.fsyncSync(fd); } finally { fs.closeSync(fd); }
        return reply(unique, 0);
      }
      case OP.GETXATTR: case OP.LISTXATTR: {
        // a size of 0 asks how much room the answer needs
        const size = body.readUInt32LE(0);
        const attrs = this.xattrs.get(this.relOf(nodeid));
        if (typeof attrs === 'number') return reply(unique, attrs);
        let out: Buffer;
        if (opcode === OP.LISTXATTR) out = Buffer.from([...attrs.keys()].map((n) => `${n}\0`).join(''));
        else {
          const value = attrs.get(cstring(body, 8).value);
          if (!value) return reply(unique, ERRNO.ENODATA);
          out = value;
        }
        if (size === 0) return reply(unique, 0, u32Out(out.length));
        return out.length > size ? reply(unique, ERRNO.ERANGE) : reply(unique, 0, out);
      }
      case OP.SETXATTR: {
        const size = body.readUInt32LE(0);
        const flags = body.readUInt32LE(4);
        const name = cstring(body, 8);
        const value = Buffer.from(body.subarray(name.next, name.next + size)); // a copy: the request buffer is reused
        const rel = this.relOf(nodeid);
        setXattr(this.full(rel), name.value, value, flags);
        this.xattrs.changed(rel, name.value, value);
        if (name.value.startsWith(POSIX_ACL)) this.xattrs.forget(rel); // stored as the file system sees fit, and the mode follows
        this.emit({ op: 'setxattr', path: rel, name: name.value, value, flags });
        return reply(unique, 0);
      }
      case OP.REMOVEXATTR: {
        const name = cstring(body, 0).value;
        const rel = this.relOf(nodeid);
        removeXattr(this.full(rel), name);
        this.xattrs.changed(rel, name, null);
        if (name.startsWith(POSIX_ACL)) this.xattrs.forget(rel);
        this.emit({ op: 'removexattr', path: rel, name });
        return reply(unique, 0);
      }
      default: return reply(unique, ERRNO.ENOSYS); // ACCESS (default_permissions decides), LSEEK, IOCTL, POLL…
    }
  }

  /** A file still open on a node whose name is gone: the only way to reach it. */
  private openOfGone(nodeid: bigint): OpenFile | undefined {
    if (!this.nodes.get(nodeid)?.gone) return undefined;
    for (const f of this.files.values()) if (f.node === nodeid) return f;
    throw Object.assign(new Error('removed'), { errno: ERRNO.ENOENT });
  }

  /**
   * Through the open file when the kernel names one, or when the node's name is gone (fchmod of
   * an unlinked file): its old name may name another file now. Replicated only under a current name.
   */
  private setattr(nodeid: bigint, body: Buffer): Buffer {
    const valid = body.readUInt32LE(0);
    const open = valid & FATTR.FH ? this.files.get(Number(body.readBigUInt64LE(8))) : this.openOfGone(nodeid);
    const rel = open ? open.rel : this.relOf(nodeid);
    const path = rel === null ? '' : this.full(rel);
    const stat = () => (open ? fs.fstatSync(open.fd, { bigint: true }) : fs.lstatSync(path, { bigint: true }));
    if (valid & FATTR.SIZE) {
      const size = Number(body.readBigUInt64LE(16));
      if (open) fs.ftruncateSync(open.fd, size); else fs.truncateSync(path, size);
      this.emitAt(rel, (p) => ({ op: 'truncate', path: p, size }));
    }
    if (valid & FATTR.MODE) {
      const mode = body.readUInt32LE(68) & 0o7777;
      if (open) fs.fchmodSync(open.fd, mode); else fs.chmodSync(path, mode);
      if (rel !== null) this.xattrs.forget(rel); // an ACL follows the mode
      this.emitAt(rel, (p) => ({ op: 'chmod', path: p, mode }));
    }
    if (valid & (FATTR.UID | FATTR.GID)) {
      const uid = valid & FATTR.UID ? body.readUInt32LE(76) : -1;
      const gid = valid & FATTR.GID ? body.readUInt32LE(80) : -1;
      if (open) fs.fchownSync(open.fd, uid, gid); else fs.lchownSync(path, uid, gid);
      if (rel !== null) this.xattrs.forget(rel); // a capability does not survive a change of owner
      const st = stat();
      this.emitAt(rel, (p) => ({ op: 'chown', path: p, uid: Number(st.uid), gid: Number(st.gid) }));
    }
    if (valid & (FATTR.ATIME | FATTR.MTIME | FATTR.ATIME_NOW | FATTR.MTIME_NOW)) {
      const st = stat();
      const now = BigInt(Date.now()) * 1_000_000n;
      const at = valid & FATTR.ATIME_NOW ? now : valid & FATTR.ATIME ? body.readBigUInt64LE(32) * 1_000_000_000n + BigInt(body.readUInt32LE(56)) : st.atimeNs;
      const mt = valid & FATTR.MTIME_NOW ? now : valid & FATTR.MTIME ? body.readBigUInt64LE(40) * 1_000_000_000n + BigInt(body.readUInt32LE(60)) : st.mtimeNs;
      // Node takes seconds as a number: microsecond precision at best
      if (open) fs.futimesSync(open.fd, Number(at) / 1e9, Number(mt) / 1e9); else fs.lutimesSync(path, Number(at) / 1e9, Number(mt) / 1e9);
      this.emitAt(rel, (p) => ({ op: 'utimens', path: p, atimeNs: at, mtimeNs: mt }));
    }
    return attrOut(stat(), VALIDITY);
  }

  /** The name `rel` no longer names what it named: files open under it keep no name. */
  private gone(rel: string): void {
    const id = this.byRel.get(rel);
    if (id !== undefined) this.nodes.get(id)!.gone = true;
    for (const f of this.files.values()) if (f.rel === rel) f.rel = null;
    this.xattrs.forget(rel);
  }

  /** Node ids below a renamed path follow it. */
  private renamed(from: string, to: string): void {
    this.gone(to);
    this.byRel.delete(to);
    for (const f of this.files.values()) if (f.rel !== null && isWithin(f.rel, from)) f.rel = to + f.rel.slice(from.length);
    this.xattrs.renamed(from, to);
    for (const [id, node] of this.nodes) {
      if (isWithin(node.rel, from)) {
        if (this.byRel.get(node.rel) === id) this.byRel.delete(node.rel);
        node.rel = to + node.rel.slice(from.length);
        this.byRel.set(node.rel, id);
      }
    }
  }
}
