// Special files — FIFOs and character or block devices — for the FUSE layer and the secondary's
// applier. Node has no mknod(2), so mknod(1) makes them (a process start each: they are rare in
// replicated data). `path` must be reachable by another process: a /proc/<pid>/fd/N path names our
// descriptor, /proc/self would name the child's. Sockets cannot be made from outside the process
// that binds them: EOPNOTSUPP.

import { spawnSync } from 'node:child_process';

const S_IFMT = 0o170000;
const TYPE: Readonly<Record<number, string>> = { 0o010000: 'p', 0o020000: 'c', 0o060000: 'b' };

export function makeSpecial(path: string, mode: number, rdev: number): void {
  const type = TYPE[mode & S_IFMT];
  if (!type) throw Object.assign(new Error(`cannot make a file of type 0o${(mode & S_IFMT).toString(8)}`), { errno: -95 });
  const args = ['-m', (mode & 0o7777).toString(8), path, type];
  if (type !== 'p') args.push(String((rdev >> 8) & 0xfff), String((rdev & 0xff) | ((rdev >> 12) & 0xfff00)));
  const r = spawnSync('mknod', args, { encoding: 'utf8' });
  if (r.status !== 0) {
    const exists = /File exists/.test(r.stderr);
    throw Object.assign(new Error(`mknod ${args.join(' ')}: ${r.stderr.trim()}`), { errno: exists ? -17 : -1 });
  }
}
