// Applies the mutations of a replicated directory (src/fuse/passthrough.ts Mutation) to a copy, in
// order: what the secondary does with the replication stream. Synchronous on purpose: a mutation
// is applied when this returns; an fsync mutation makes the copy's file durable.

import * as fs from 'node:fs';
import { join, normalize } from 'node:path';
import type { Mutation } from '../fuse/passthrough.js';
import { makeSpecial } from '../fuse/special-files.js';

export class CopyApplier {
  constructor(private readonly root: string) {}

  private path(rel: string): string {
    const clean = normalize(rel);
    if (clean.startsWith('..') || clean.startsWith('/')) throw new Error(`mutation path "${rel}" leaves the replicated directory`);
    return join(this.root, clean);
  }

  apply(m: Mutation): void {
    switch (m.op) {
      case 'write': {
        const fd = fs.openSync(this.path(m.path), fs.constants.O_WRONLY);
        try { fs.writeSync(fd, m.data, 0, m.data.length, m.offset); } finally { fs.closeSync(fd); }
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
      case 'chmod': return fs.chmodSync(this.path(m.path), m.mode);
      case 'chown': return fs.lchownSync(this.path(m.path), m.uid, m.gid);
      case 'utimens': return fs.lutimesSync(this.path(m.path), Number(m.atimeNs) / 1e9, Number(m.mtimeNs) / 1e9);
      case 'fsync': {
        const fd = fs.openSync(this.path(m.path), fs.constants.O_RDONLY);
        try { if (m.dataOnly) fs.fdatasyncSync(fd); else fs.fsyncSync(fd); } finally { fs.closeSync(fd); }
        return;
      }
    }
  }
}
