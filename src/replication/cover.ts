// The read-only cover of a replicated directory on the secondary: a read-only bind mount of the
// directory over itself, so that nothing but the replication writes the copy (a write there would
// silently make it differ from the primary's). The replicator applies the stream through a
// descriptor opened before the cover, the way the primary's FUSE server reaches the directory under
// its mount. Always on: docs/replication.md says why. The cover goes before the node becomes primary.

import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

/** The top mount at `dir` (the last listed), from /proc/self/mounts. */
function topMount(dir: string): { type: string; options: string } | null {
  const escaped = dir.replace(/ /g, '\\040');
  let top: { type: string; options: string } | null = null;
  for (const line of readFileSync('/proc/self/mounts', 'utf8').split('\n')) {
    const [, target, type, options] = line.split(' ');
    if (target === escaped) top = { type, options };
  }
  return top;
}

export function cover(dir: string): void {
  const bind = spawnSync('mount', ['--bind', dir, dir], { encoding: 'utf8' });
  if (bind.status !== 0) throw new Error(`the read-only cover of ${dir} failed: ${bind.stderr.trim()}`);
  const ro = spawnSync('mount', ['-o', 'remount,bind,ro', dir], { encoding: 'utf8' });
  if (ro.status !== 0) {
    spawnSync('umount', ['-l', dir]);
    throw new Error(`the read-only cover of ${dir} failed: ${ro.stderr.trim()}`);
  }
}

/** Lifts the cover (lazily when a process still has files open under it). */
export function uncover(dir: string): void {
  if (!isCovered(dir)) return;
  if (spawnSync('umount', [dir]).status !== 0) spawnSync('umount', ['-l', dir]);
}

/** A read-only bind on top of `dir`: ours (a replicated directory is never read-only otherwise). */
export function isCovered(dir: string): boolean {
  const top = topMount(dir);
  return top !== null && top.type !== 'fuse' && top.options.split(',')[0] === 'ro';
}
