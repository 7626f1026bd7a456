// Paths longer than the kernel takes in one system call (PATH_MAX: 4096 bytes with the NUL), which
// an application can still make: it works relative to a deep current directory, and our side of
// the mount names the same entry from the directory underneath, which can be longer. Node has no
// *at() calls, so the directories along the way are opened a stretch at a time and the rest of
// the path is named from the last one's descriptor: /proc/<pid>/fd/N/rest (<pid>, not self: a
// helper process must reach it too). The descriptors stay open until release().
//
// Two ways to release: a Reach of one's own, released by hand (the FUSE worker, whose thread never
// returns to its event loop, releases after each request), or the shared `reachable`, which
// releases at the next turn of the event loop — a path it gives must be used at once, never kept.

import * as fs from 'node:fs';

/** Bytes a path may have, well under PATH_MAX: /proc/<pid>/fd/N/ is added in front of the rest. */
const LIMIT = 4000;

export class Reach {
  private held: number[] = [];
  private scheduled = false;

  /** `autoRelease`: release at the next turn of the event loop after a descriptor was opened. */
  constructor(private readonly autoRelease = false) {}

  /** `path`, or an equivalent short enough for the kernel; opens the directories it needs. */
  path(path: string): string {
    if (path.length < LIMIT / 4 || Buffer.byteLength(path) < LIMIT) return path;
    let prefix = '';
    let rest = path;
    while (Buffer.byteLength(prefix) + Buffer.byteLength(rest) >= LIMIT) {
      // the longest run of whole components of `rest` that fits after `prefix`
      let cut = -1;
      for (let at = rest.indexOf('/', 1); at > 0; at = rest.indexOf('/', at + 1)) {
        if (Buffer.byteLength(prefix) + Buffer.byteLength(rest.slice(0, at)) >= LIMIT) break;
        cut = at;
      }
      if (cut <= 0) throw Object.assign(new Error(`ENAMETOOLONG: a component of ${path.slice(0, 80)}… is too long`), { code: 'ENAMETOOLONG', errno: -36 });
      const fd = fs.openSync(prefix + rest.slice(0, cut), fs.constants.O_RDONLY | fs.constants.O_DIRECTORY);
      this.hold(fd);
      prefix = `/proc/${process.pid}/fd/${fd}/`;
      rest = rest.slice(cut + 1);
    }
    return prefix + rest;
  }

  /** Closes the descriptors the paths given so far needed. */
  release(): void {
    for (const fd of this.held.splice(0)) fs.closeSync(fd);
  }

  private hold(fd: number): void {
    this.held.push(fd);
    if (!this.autoRelease || this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => { this.scheduled = false; this.release(); });
  }
}

const shared = new Reach(true);

/** `path`, reachable by the kernel, for use in the current turn of the event loop (see the top). */
export const reachable = (path: string): string => shared.path(path);
