// What a copy holds, for a full synchronisation and for `rfsverify`: every entry of a replicated
// directory with its kind, metadata and, for files, a hash per block, so that the primary sends
// only the blocks that differ (SAFEKIT-BEHAVIOUR §2.6.4). Walks in a fixed order: a directory
// before what it holds, names sorted, so both sides list the same tree the same way.

import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import { join } from 'node:path';
import type { EntryKind } from './wire.js';
import { EVERYTHING, type ReplicationFilter } from '../config/filters.js';
import { XattrCache } from '../fuse/xattr-cache.js';
import type { Xattrs } from '../fuse/syscalls.js';
import { BLOCK } from './blocks.js';
import { BlockHasher } from './hasher.js';
import { reachable } from '../fuse/long-paths.js';

export { BLOCK } from './blocks.js';
/** Hashes per manifest entry (a larger file continues in entries with `from`). */
const HASHES_PER_ENTRY = 8192;

export interface ManifestEntry {
  readonly p: string;
  /** Metadata; absent in the continuation entries of a large file's hashes. */
  readonly k?: EntryKind;
  readonly mode?: number;
  readonly uid?: number;
  readonly gid?: number;
  readonly size?: number;
  readonly rdev?: number;
  readonly target?: string;
  /** Nanoseconds since the epoch, as a decimal string. */
  readonly mtime?: string;
  /** A digest of the extended attributes (xattrDigest); absent when there are none. */
  readonly x?: string;
  /** The first block these hashes describe, and the hashes (20-byte SHA-1 each, base64). */
  readonly from?: number;
  readonly h?: string;
}

/**
 * Two modification times (nanoseconds, as manifest strings) the same as far as the copy can be
 * set: Node sets times as a double of seconds, which keeps well under a millisecond of them.
 */
export function sameTime(a: string | undefined, b: string | undefined): boolean {
  return Math.abs(Number(BigInt(a ?? '0') - BigInt(b ?? '0'))) < 1e6;
}

export interface Walked { readonly rel: string; readonly st: fs.BigIntStats }

export function kindOf(st: fs.BigIntStats | fs.Stats): EntryKind {
  return st.isFile() ? 'file' : st.isDirectory() ? 'dir' : st.isSymbolicLink() ? 'symlink' : 'special';
}

/**
 * Every replicated entry under `under` in `root` (not `under` itself), parents first, names sorted
 * (docs/replication-filters.md). An excluded directory is left out with its subtree; a directory
 * replicated only when needed (under "!" rules) is listed just before the first replicated entry
 * beneath it, and not at all when there is none. `pending`: such directories above `under` not
 * listed yet.
 */
export function* walk(root: string, scope: ReplicationFilter = EVERYTHING, under = '', pending: Walked[] = []): Generator<Walked> {
  let names: string[];
  try { names = fs.readdirSync(under ? reachable(join(root, under)) : root).sort(); } catch { return; }
  for (const name of names) {
    const rel = under ? `${under}/${name}` : name;
    let st: fs.BigIntStats;
    try { st = fs.lstatSync(reachable(join(root, rel)), { bigint: true }); } catch { continue; } // gone meanwhile
    const here = { rel, st };
    if (!st.isDirectory()) {
      if (scope.file(rel)) { yield* pending.splice(0); yield here; }
      continue;
    }
    const decision = scope.directory(rel);
    if (decision === 'excluded') continue;
    if (decision === 'replicated') { yield* pending.splice(0); yield here; } else pending.push(here);
    yield* walk(root, scope, rel, pending);
    const unlisted = pending.indexOf(here);
    if (unlisted >= 0) pending.splice(unlisted);
  }
}

/** Whether a directory holds a replicated entry (a directory replicated only when needed exists on the secondary only then). */
export function holdsReplicated(root: string, scope: ReplicationFilter, rel: string): boolean {
  return !walk(root, scope, rel).next().done;
}

export function metaOf(root: string, w: Walked, x?: string): ManifestEntry {
  const { st, rel } = w;
  const k = kindOf(st);
  return {
    p: rel, k, mode: Number(st.mode), uid: Number(st.uid), gid: Number(st.gid), size: k === 'file' ? Number(st.size) : 0, rdev: Number(st.rdev),
    target: k === 'symlink' ? fs.readlinkSync(reachable(join(root, rel))) : '', mtime: String(st.mtimeNs), ...(x === undefined ? {} : { x }),
  };
}

/** A digest of an entry's extended attributes (names sorted); undefined when it has none or they cannot be read. */
export function xattrDigest(attrs: Xattrs | number): string | undefined {
  if (typeof attrs === 'number' || attrs.size === 0) return undefined;
  const h = createHash('sha1');
  for (const name of [...attrs.keys()].sort()) h.update(name).update('\0').update(attrs.get(name)!).update('\0');
  return h.digest('base64');
}

/** Reads the extended attributes of entries under `root`, a directory at a time (one helper process each). */
export const xattrReader = (root: string): XattrCache => new XattrCache((rel) => reachable(join(root, rel)));

/** Entries of a walk whose extended attributes are read at once (one helper process). */
const XATTR_AHEAD = 1024;

/** The entries of `entries`, their extended attributes read ahead XATTR_AHEAD at a time. */
export function* xattrsReadAhead(entries: Iterator<Walked>, xattrs: XattrCache): Generator<Walked> {
  for (;;) {
    const ahead: Walked[] = [];
    for (let next = entries.next(); !next.done; next = entries.next()) if (ahead.push(next.value) >= XATTR_AHEAD) break;
    if (ahead.length === 0) return;
    xattrs.prefetch(ahead.map((e) => e.rel));
    yield* ahead;
  }
}

/** How far the hashing runs ahead of its consumer: in entries, and in bytes of files. */
const AHEAD_ENTRIES = 512;
const AHEAD_BYTES = 256 * 1024 * 1024;
/** A turn of the event loop for others (the application's requests) every so many entries. */
const YIELD_ENTRIES = 256;

/** A turn of the event loop: what waits (the application's requests, the stream) runs first. */
export const turn = (): Promise<void> => new Promise((r) => setImmediate(r));

interface Hashed {
  readonly w: Walked;
  /** A file's block hashes; null for a file gone meanwhile; undefined for other kinds and files not asked for. */
  readonly hashes: Buffer[] | null | undefined;
}

export interface HashedWalkOptions {
  /** The files to hash (all when absent). */
  readonly wants?: (w: Walked) => boolean;
  /** Checked before each entry: true ends the walk, the entries already listed still come (with their hashes). */
  readonly stop?: () => boolean;
}

/**
 * The entries of a walk with their files' block hashes, in the walk's order, the hasher's threads
 * working on the next ones meanwhile (up to AHEAD_ENTRIES entries or AHEAD_BYTES ahead).
 */
export async function* hashedWalk(root: string, entries: Iterable<Walked>, hasher: BlockHasher, o: HashedWalkOptions = {}): AsyncGenerator<Hashed> {
  const window: { w: Walked; bytes: number; hashes: Promise<Buffer[] | null> | undefined }[] = [];
  let bytes = 0;
  let listed = 0;
  const head = async (): Promise<Hashed> => {
    const e = window.shift()!;
    bytes -= e.bytes;
    return { w: e.w, hashes: e.hashes && await e.hashes };
  };
  for (const w of entries) {
    if (o.stop?.()) break;
    const wanted = w.st.isFile() && (o.wants?.(w) ?? true);
    const size = wanted ? Number(w.st.size) : 0;
    const hashes = wanted ? hasher.hash(join(root, w.rel), size) : undefined;
    hashes?.catch(() => undefined); // a failure is met when its turn comes, not as an unhandled rejection
    window.push({ w, bytes: size, hashes });
    bytes += size;
    while (window.length >= AHEAD_ENTRIES || bytes > AHEAD_BYTES) yield await head();
    if (++listed % YIELD_ENTRIES === 0) await turn();
  }
  while (window.length) yield await head();
}

/**
 * The primary's side of a full synchronisation, computed while the secondary describes its copy (so
 * both read at once): each file's block hashes, by path. Once `stop` is aborted (the secondary's
 * manifest has come) no other file is started; those in hand are finished.
 */
export async function hashAhead(root: string, scope: ReplicationFilter, into: Map<string, Buffer[]>, stop: AbortSignal, hasher: BlockHasher): Promise<void> {
  for await (const { w, hashes } of hashedWalk(root, walk(root, scope), hasher, { stop: () => stop.aborted })) if (hashes) into.set(w.rel, hashes);
}

/**
 * Describes the tree under `root`, in batches of about `batchBytes` of JSON. Asynchronous: the
 * process serves other work meanwhile, so an application's writes go on (and an entry written
 * during the walk may be described before or after the change).
 */
export async function describe(root: string, scope: ReplicationFilter, batch: (entries: ManifestEntry[]) => void, batchBytes = 256 * 1024): Promise<void> {
  const xattrs = xattrReader(root);
  const hasher = new BlockHasher();
  let entries: ManifestEntry[] = [];
  let bytes = 0;
  const push = (e: ManifestEntry) => {
    entries.push(e);
    bytes += 80 + e.p.length + (e.h?.length ?? 0);
    if (bytes >= batchBytes) { batch(entries); entries = []; bytes = 0; }
  };
  try {
    for await (const { w, hashes } of hashedWalk(root, xattrsReadAhead(walk(root, scope), xattrs), hasher)) {
      const meta = metaOf(root, w, xattrDigest(xattrs.get(w.rel)));
      if (meta.k !== 'file') { push(meta); continue; }
      if (!hashes) continue; // gone meanwhile
      push({ ...meta, from: 0, h: Buffer.concat(hashes.slice(0, HASHES_PER_ENTRY)).toString('base64') });
      for (let i = HASHES_PER_ENTRY; i < hashes.length; i += HASHES_PER_ENTRY) {
        push({ p: w.rel, from: i, h: Buffer.concat(hashes.slice(i, i + HASHES_PER_ENTRY)).toString('base64') });
      }
    }
  } finally {
    await hasher.close();
  }
  if (entries.length) batch(entries);
}

/** The entries of a manifest by path, with each file's hashes gathered in one list. */
export function indexManifest(entries: readonly ManifestEntry[]): Map<string, { meta: ManifestEntry; hashes: Buffer[] }> {
  const out = new Map<string, { meta: ManifestEntry; hashes: Buffer[] }>();
  for (const e of entries) {
    let at = out.get(e.p);
    if (!at || e.k !== undefined) { at = { meta: e, hashes: at?.hashes ?? [] }; out.set(e.p, at); }
    if (e.h) {
      const raw = Buffer.from(e.h, 'base64');
      for (let i = 0; i * 20 < raw.length; i++) at.hashes[(e.from ?? 0) + i] = raw.subarray(i * 20, i * 20 + 20);
    }
  }
  return out;
}

export interface Difference { readonly path: string; readonly what: string }

/**
 * Where a copy differs from the primary's: entries missing or extra, another kind, size, mode,
 * owner, link target or device, other content (the blocks named), or a file modified at another
 * time (to the millisecond; directories' times are not compared: creating an entry changes them).
 */
export function compareManifests(primary: readonly ManifestEntry[], copy: readonly ManifestEntry[]): Difference[] {
  const mine = indexManifest(primary);
  const theirs = indexManifest(copy);
  const out: Difference[] = [];
  for (const [path, { meta: a, hashes: ha }] of mine) {
    const other = theirs.get(path);
    if (!other) { out.push({ path, what: 'missing on the secondary' }); continue; }
    const b = other.meta;
    if (a.k !== b.k) { out.push({ path, what: `a ${a.k} on the primary, a ${b.k} on the secondary` }); continue; }
    const what: string[] = [];
    if (a.size !== b.size) what.push(`size ${a.size} ≠ ${b.size}`);
    if (a.k !== 'symlink' && ((a.mode ?? 0) & 0o7777) !== ((b.mode ?? 0) & 0o7777)) what.push(`mode ${((a.mode ?? 0) & 0o7777).toString(8)} ≠ ${((b.mode ?? 0) & 0o7777).toString(8)}`);
    if (a.uid !== b.uid || a.gid !== b.gid) what.push(`owner ${a.uid}:${a.gid} ≠ ${b.uid}:${b.gid}`);
    if (a.target !== b.target) what.push(`target ${a.target} ≠ ${b.target}`);
    if (a.k === 'special' && a.rdev !== b.rdev) what.push(`device ${a.rdev} ≠ ${b.rdev}`);
    if (a.x !== b.x) what.push('extended attributes');
    if (a.k === 'file') {
      const blocks = ha.map((h, i) => (h.equals(other.hashes[i] ?? Buffer.alloc(0)) ? -1 : i)).filter((i) => i >= 0);
      if (blocks.length) what.push(`content differs in ${blocks.length} block(s) of ${BLOCK / 1024} KiB from byte ${blocks[0] * BLOCK}`);
      if (!sameTime(a.mtime, b.mtime)) what.push('modification time');
    }
    if (what.length) out.push({ path, what: what.join(', ') });
  }
  for (const path of theirs.keys()) if (!mine.has(path)) out.push({ path, what: 'only on the secondary' });
  return out.sort((x, y) => (x.path < y.path ? -1 : 1));
}
