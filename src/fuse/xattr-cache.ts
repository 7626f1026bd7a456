// The extended attributes the FUSE mount has read, by path, so that the kernel's frequent questions
// cost no helper process each: it asks for security.capability before every write, and `ls -l`
// asks every entry for its ACL. Runs in the mount's worker thread, beside Passthrough.
//
// Kept exact by the mount's own changes: an entry created through it starts with no attribute
// (unless its directory has a default ACL, which the kernel copies into it); set and remove update
// it; a rename moves it; an unlink, a change of mode or owner, or a write to a file with a
// capability (the file system underneath clears those) forget it. A read-only mount is written
// underneath by the replication, so there an entry is trusted for one second only.
//
// A miss reads the attributes of up to BATCH entries of the same directory in one helper process:
// who asks for one entry's attributes usually asks for its neighbours' next. A tree walk reads
// ahead (prefetch) BATCH entries per process, whatever directories they are in.

import * as fs from 'node:fs';
import { listXattrs, type Xattrs } from './syscalls.js';
import { isWithin } from '../shared/paths.js';

const BATCH = 1024;
const MAX_ENTRIES = 200_000;
const READ_ONLY_TRUST_MS = 1000;
const DEFAULT_ACL = 'system.posix_acl_default';
const CAPABILITY = 'security.capability';

interface Cached { readonly attrs: Map<string, Buffer>; readonly at: number }

const parentOf = (rel: string): string => (rel.includes('/') ? rel.slice(0, rel.lastIndexOf('/')) : '');

export class XattrCache {
  private readonly entries = new Map<string, Cached>();
  /** While set, entries are trusted READ_ONLY_TRUST_MS only. */
  readOnly = false;

  /** `full`: the path underneath the mount of a relative path (reachable by the helper process). */
  constructor(private readonly full: (rel: string) => string, private readonly now: () => number = Date.now) {}

  /** The attributes of `rel`, or a negative errno. */
  get(rel: string): Xattrs | number {
    const hit = this.valid(rel);
    if (hit) return hit.attrs;
    const dir = parentOf(rel);
    let siblings: string[] = [];
    try { siblings = fs.readdirSync(this.full(dir)); } catch { /* the entry alone */ }
    return this.read([rel, ...siblings.map((n) => (dir ? `${dir}/${n}` : n)).filter((r) => r !== rel && !this.valid(r)).slice(0, BATCH - 1)])[0];
  }

  /** Reads ahead the attributes of entries about to be asked for (a walk's next entries), BATCH per process. */
  prefetch(rels: readonly string[]): void {
    const wanted = rels.filter((r) => !this.valid(r));
    for (let i = 0; i < wanted.length; i += BATCH) this.read(wanted.slice(i, i + BATCH));
  }

  private read(rels: string[]): (Xattrs | number)[] {
    const read = listXattrs(rels.map((r) => this.full(r)));
    if (this.entries.size + rels.length > MAX_ENTRIES) this.entries.clear();
    const at = this.now();
    rels.forEach((r, i) => { const a = read[i]; if (typeof a !== 'number') this.entries.set(r, { attrs: new Map(a), at }); });
    return read;
  }

  /** Whether directory `rel` has a default ACL (its new entries inherit it); read once per directory, then known. */
  hasDefaultAcl(rel: string): boolean {
    const attrs = this.get(rel);
    return typeof attrs !== 'number' && attrs.has(DEFAULT_ACL);
  }

  /** An entry just created through the mount: it has no attribute, unless its directory's default ACL gave it one. */
  created(rel: string): void {
    const parent = this.get(parentOf(rel)); // read once per directory, then known
    if (typeof parent !== 'number' && !parent.has(DEFAULT_ACL)) this.entries.set(rel, { attrs: new Map(), at: this.now() });
    else this.entries.delete(rel);
  }

  /** An attribute set (value) or removed (null) through the mount. */
  changed(rel: string, name: string, value: Buffer | null): void {
    const e = this.valid(rel);
    if (!e) return;
    if (value === null) e.attrs.delete(name); else e.attrs.set(name, Buffer.from(value));
  }

  /** A write: the file system underneath drops a file's capability. */
  wrote(rel: string): void {
    if (this.entries.get(rel)?.attrs.has(CAPABILITY)) this.entries.delete(rel);
  }

  /** Gone, or changed in a way that may change its attributes (mode: the ACL; owner: the capability). */
  forget(rel: string): void {
    this.entries.delete(rel);
  }

  renamed(from: string, to: string): void {
    for (const p of [...this.entries.keys()]) if (isWithin(p, to)) this.entries.delete(p);
    for (const [p, e] of [...this.entries]) {
      if (!isWithin(p, from)) continue;
      this.entries.delete(p);
      this.entries.set(to + p.slice(from.length), e);
    }
  }

  private valid(rel: string): Cached | undefined {
    const e = this.entries.get(rel);
    if (e && this.readOnly && this.now() - e.at > READ_ONLY_TRUST_MS) { this.entries.delete(rel); return undefined; }
    return e;
  }
}
