// Special files — FIFOs, sockets, character and block devices — for the FUSE layer and the
// secondary's applier. Node has no mknod(2), so a python3 one-liner makes them (python3 is
// installed with the build tools; a process start each: they are rare in replicated data). `path`
// must be reachable by another process: a /proc/<pid>/fd/N path names our descriptor, /proc/self
// would name the child's. The permission bits are set afterwards, free of the child's umask.

import { spawnSync } from 'node:child_process';
import { chmodSync } from 'node:fs';

const MKNOD = 'import os, sys\ntry:\n  os.mknod(sys.argv[1], int(sys.argv[2]), int(sys.argv[3]))\nexcept OSError as e:\n  sys.stderr.write(str(e.errno))\n  sys.exit(1)\n';

export function makeSpecial(path: string, mode: number, rdev: number): void {
  const r = spawnSync('python3', ['-c', MKNOD, path, String(mode), String(rdev)], { encoding: 'utf8' });
  if (r.status !== 0) {
    const errno = Number(r.stderr.trim());
    throw Object.assign(new Error(`mknod ${path}: ${r.error?.message ?? `errno ${r.stderr.trim()}`}`), { errno: Number.isInteger(errno) && errno > 0 ? -errno : -5 });
  }
  chmodSync(path, mode & 0o7777);
}
