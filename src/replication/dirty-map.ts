// What changed on the primary while the secondary was away, so that reintegration sends only that
// (SAFEKIT-BEHAVIOUR §2.6.4): byte ranges per file, and the namespace changes (files and
// directories created, removed, renamed, re-owned). Pure: fed the same mutations as the
// replication stream (src/fuse/passthrough.ts), it never reads a disk. Persisting it durably, and
// the scan that catches changes made while the module was stopped, belong to its caller.
//
// A created path, and the new name of a rename, are `whole`: the secondary has nothing to patch
// there (for a directory: its whole subtree must be sent). This resends a renamed file in full; a
// replayed rename would not, and is a later optimisation. An unlink forgets the file's ranges and
// remembers the name as removed; a truncate marks the size and everything from the cut to the end.

import type { Mutation } from '../fuse/passthrough.js';
import { isWithin } from '../shared/paths.js';

const FALLOC_COLLAPSE_RANGE = 0x08;
const FALLOC_INSERT_RANGE = 0x20;

/** A range's end meaning "to the end of the file, whatever its size when it is sent". */
export const TO_END = Number.MAX_SAFE_INTEGER;

/** Half-open byte ranges [start, end), sorted and never touching. */
export type Ranges = readonly (readonly [number, number])[];

export interface DirtyEntry {
  /** Content ranges written since the secondary left. */
  readonly ranges: Ranges;
  /** Truncated, chmod/chown/utimens'd: its size and metadata must be sent too. */
  readonly meta: boolean;
  /** Created or renamed here: send all of it (a directory: its subtree), not only the ranges. */
  readonly whole: boolean;
  /** Its extended attributes changed: send them all. Absent in maps stored before: false. */
  readonly xattrs?: boolean;
}

export function addRange(ranges: Ranges, start: number, end: number): Ranges {
  if (end <= start) return ranges;
  const out: [number, number][] = [];
  let s = start;
  let e = end;
  for (const [a, b] of ranges) {
    if (b < s || a > e) out.push([a, b]);
    else { s = Math.min(s, a); e = Math.max(e, b); }
  }
  out.push([s, e]);
  return out.sort((x, y) => x[0] - y[0]);
}

export function cutRanges(ranges: Ranges, size: number): Ranges {
  return ranges.filter(([a]) => a < size).map(([a, b]) => [a, Math.min(b, size)] as const);
}

/** An entry not in the map yet. */
const CLEAN: DirtyEntry = { ranges: [], meta: false, whole: false };

export class DirtyMap {
  private readonly files = new Map<string, DirtyEntry>();
  private readonly removed = new Set<string>();

  record(m: Mutation): void {
    switch (m.op) {
      case 'write': return this.update(m.path, (e) => ({ ranges: addRange(e.ranges, m.offset, m.offset + m.data.length) }));
      case 'truncate':
        // what lies beyond the cut on the secondary is gone here: anything there later (zeros of a
        // hole, or writes) must be sent, so the range runs from the cut to the file's end
        return this.update(m.path, (e) => ({ ranges: addRange(cutRanges(e.ranges, m.size), m.size, TO_END), meta: true }));
      case 'create': case 'mkdir': case 'symlink': case 'mknod':
        this.files.set(m.path, { ranges: [], meta: true, whole: true });
        return;
      case 'chmod': case 'chown': case 'utimens': return this.update(m.path, () => ({ meta: true }));
      case 'unlink': case 'rmdir':
        for (const p of [...this.files.keys()]) if (isWithin(p, m.path)) this.files.delete(p);
        this.removed.add(m.path);
        return;
      case 'rename': {
        for (const p of [...this.files.keys()]) if (isWithin(p, m.to)) this.files.delete(p); // replaced
        for (const [p, e] of [...this.files]) {
          if (isWithin(p, m.from)) {
            this.files.delete(p);
            this.files.set(m.to + p.slice(m.from.length), { ...e, whole: true });
          }
        }
        this.files.set(m.to, { ranges: [], meta: true, whole: true });
        this.removed.add(m.from);
        return;
      }
      case 'fallocate': {
        // its size may change (meta); collapse and insert (which FUSE does not pass on today) would
        // move everything after the offset
        const end = m.mode & (FALLOC_COLLAPSE_RANGE | FALLOC_INSERT_RANGE) ? TO_END : m.offset + m.length;
        return this.update(m.path, (e) => ({ ranges: addRange(e.ranges, m.offset, end), meta: true }));
      }
      case 'setxattr': case 'removexattr': return this.update(m.path, () => ({ meta: true, xattrs: true }));
      case 'fsync': return;
    }
  }

  /** Changes some fields of a path's entry (a clean one if absent); the others stay as they were. */
  private update(path: string, change: (e: DirtyEntry) => Partial<DirtyEntry>): void {
    const e = this.files.get(path) ?? CLEAN;
    this.files.set(path, { ...e, ...change(e) });
  }

  /** Paths changed, with their ranges; paths removed (a removed path that exists again is not listed). */
  snapshot(): { changed: Readonly<Record<string, DirtyEntry>>; removed: readonly string[] } {
    return { changed: Object.fromEntries([...this.files].sort()), removed: [...this.removed].filter((p) => !this.files.has(p)).sort() };
  }

  /** How many paths the map lists, changed or removed (as snapshot() would list them, without building it). */
  entries(): number {
    let n = this.files.size;
    for (const p of this.removed) if (!this.files.has(p)) n++;
    return n;
  }

  /** Bytes of content to send, not counting ranges that run to the end of a file (`rfsdiff` adds their sizes). */
  dirtyBytes(): number {
    let n = 0;
    for (const e of this.files.values()) for (const [a, b] of e.ranges) if (b !== TO_END) n += b - a;
    return n;
  }

  static from(s: ReturnType<DirtyMap['snapshot']>): DirtyMap {
    const d = new DirtyMap();
    for (const [p, e] of Object.entries(s.changed)) d.files.set(p, e);
    for (const p of s.removed) d.removed.add(p);
    return d;
  }
}
