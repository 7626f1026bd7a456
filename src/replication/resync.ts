// What the primary sends to bring a secondary's copy up to date, as a sequence of stream
// operations read from the primary's directory at the moment each is produced (so that, sent in
// the same turn, it is ordered correctly against the application's later changes):
//   - zones: what the dirty map names (names removed, entries created or renamed in whole, byte
//     ranges of the others), the reintegration of SAFEKIT-BEHAVIOUR §2.6.4;
//   - full: every entry, comparing each file's blocks with the secondary's manifest and sending
//     only the blocks that differ, and removing what the primary does not have.
// Directories' times are sent last: creating their entries changes them on the copy.

import * as fs from 'node:fs';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { TO_END, type DirtyMap } from './dirty-map.js';
import { BLOCK, hashedWalk, indexManifest, kindOf, sameTime, turn, walk, xattrDigest, xattrReader, xattrsReadAhead, type ManifestEntry, type Walked } from './manifest.js';
import { BlockHasher } from './hasher.js';
import { reachable } from '../fuse/long-paths.js';
import type { XattrCache } from '../fuse/xattr-cache.js';
import type { StreamOp } from './wire.js';
import { inScope, lstatOf as lstat, neededParents, type ScopedChange, type Source } from './scope.js';

/** The largest write a resync frame carries. */
const CHUNK = 1024 * 1024;

export interface ResyncTally {
  files: number;
  bytes: number;
  /** Full synchronisation: names of files that have several (hard links), each copied as a file of its own. */
  linked?: string[];
}

function ensure(src: Source, rel: string, st: fs.BigIntStats): StreamOp {
  const kind = kindOf(st);
  return {
    op: 'ensure', path: rel, kind, mode: Number(st.mode), uid: Number(st.uid), gid: Number(st.gid), size: kind === 'file' ? Number(st.size) : 0,
    rdev: Number(st.rdev), target: kind === 'symlink' ? fs.readlinkSync(reachable(join(src.root, rel))) : '',
  };
}

const times = (rel: string, st: fs.BigIntStats): StreamOp => ({ op: 'utimens', path: rel, atimeNs: st.atimeNs, mtimeNs: st.mtimeNs });

/** Writes of [start, end) of a file, read now, in chunks. A file gone meanwhile yields nothing. */
function* content(src: Source, rel: string, start: number, end: number, tally: ResyncTally): Generator<StreamOp> {
  let fd: number;
  try { fd = fs.openSync(reachable(join(src.root, rel)), fs.constants.O_RDONLY); } catch { return; }
  try {
    for (let at = start; at < end;) {
      const buf = Buffer.allocUnsafe(Math.min(CHUNK, end - at));
      const n = fs.readSync(fd, buf, 0, buf.length, at);
      if (n === 0) break;
      tally.bytes += n;
      yield { op: 'write', path: rel, offset: at, data: buf.subarray(0, n) };
      at += n;
    }
  } finally {
    fs.closeSync(fd);
  }
}

/** The entry's extended attributes as they are now: when it has some, or `always` (to clear the copy's). */
function* xattrsOf(reader: XattrCache, rel: string, always: boolean): Generator<StreamOp> {
  const attrs = reader.get(rel);
  if (typeof attrs !== 'number' && (attrs.size > 0 || always)) yield { op: 'xattrs', path: rel, attrs: [...attrs] };
}

/** Ensures of these entries as they are now (gone: nothing). */
function* ensureAll(src: Source, rels: readonly string[]): Generator<StreamOp> {
  for (const rel of rels) {
    const st = lstat(src, rel);
    if (st) yield ensure(src, rel, st);
  }
}

/** One entry, all of it: a directory with its whole (replicated) subtree. */
function* whole(src: Source, rel: string, tally: ResyncTally, reader = xattrReader(src.root)): Generator<StreamOp> {
  const st = lstat(src, rel);
  if (!st) { yield { op: 'remove', path: rel }; return; }
  const dirs: { rel: string; st: fs.BigIntStats }[] = [];
  const entries = [{ rel, st }, ...(st.isDirectory() ? walk(src.root, src.scope, rel) : [])];
  for (const e of entries) {
    tally.files++;
    yield ensure(src, e.rel, e.st);
    if (e.st.isFile()) yield* content(src, e.rel, 0, Number(e.st.size), tally);
    yield* xattrsOf(reader, e.rel, false);
    if (e.st.isDirectory()) dirs.push(e);
    else yield times(e.rel, e.st);
  }
  for (const d of dirs.reverse()) yield times(d.rel, d.st);
}

/** The stream operations of one live change as the copy needs it (scope.ts), read now. */
export function* scopedOps(src: Source, c: ScopedChange): Generator<StreamOp> {
  if (c.remove) yield { op: 'remove', path: c.remove };
  yield* ensureAll(src, c.parents);
  if (c.send) yield c.send;
  if (c.whole) yield* whole(src, c.whole, { files: 0, bytes: 0 });
}

/**
 * `secondforce -d`: the copy is a backup of the primary's data as of `sinceNs` (an operator says
 * so); every file modified (or whose inode changed) since is sent whole, every directory ensured.
 * A name removed on the primary since the backup stays on the copy: only a full synchronisation
 * (or rfsverify, which shows it) can know.
 */
export function* sinceOps(src: Source, sinceNs: bigint, tally: ResyncTally): Generator<StreamOp> {
  const dirs: { rel: string; st: fs.BigIntStats }[] = [];
  const reader = xattrReader(src.root);
  for (const { rel, st } of walk(src.root, src.scope)) {
    if (st.isDirectory()) { yield ensure(src, rel, st); yield* xattrsOf(reader, rel, false); dirs.push({ rel, st }); continue; }
    if (st.mtimeNs < sinceNs && st.ctimeNs < sinceNs) continue;
    yield* whole(src, rel, tally, reader);
  }
  for (const d of dirs.reverse()) yield times(d.rel, d.st);
}

/** The changes a dirty map names. */
export function* zoneOps(src: Source, dirty: ReturnType<DirtyMap['snapshot']>, tally: ResyncTally): Generator<StreamOp> {
  for (const rel of dirty.removed) yield { op: 'remove', path: rel };
  const parents = new Set<string>();
  const reader = xattrReader(src.root);
  for (const [rel, e] of Object.entries(dirty.changed)) {
    const st = lstat(src, rel);
    if (st && !inScope(src, rel, st)) continue;
    parents.add(rel.includes('/') ? rel.slice(0, rel.lastIndexOf('/')) : '');
    yield* ensureAll(src, neededParents(src.scope, rel)); // the directories above that the copy may not have yet
    if (e.whole) { yield* whole(src, rel, tally, reader); continue; }
    if (!st) { yield { op: 'remove', path: rel }; continue; }
    tally.files++;
    yield ensure(src, rel, st);
    const size = Number(st.size);
    if (st.isFile()) for (const [a, b] of e.ranges) if (a < size) yield* content(src, rel, a, b === TO_END ? size : Math.min(b, size), tally);
    if (e.xattrs) yield* xattrsOf(reader, rel, true);
    yield times(rel, st);
  }
  for (const rel of [...parents].sort().reverse()) {
    const st = rel === '' ? lstat(src, '.') : lstat(src, rel);
    if (st?.isDirectory()) yield times(rel, st);
  }
}

/** Entries fullOps walks between two turns of the event loop. */
const FULL_TURN = 1024;

/**
 * Everything, sending only the blocks the secondary's manifest shows different. `ahead`: block
 * hashes of our files computed meanwhile (hashAhead); the other files the copy has are hashed by
 * `hasher`'s threads (or its own) ahead of their turn; a block whose hash is known is read only to
 * be sent.
 * Hashes computed after the resync began are safe to trust: a change made since is in the dirty
 * map, which the following rounds send. For the same reason it can give the event loop a turn every
 * FULL_TURN entries (a tree of 200 000 entries takes seconds to go through): what the application
 * changes meanwhile goes to the dirty map, not to the copy.
 */
export async function* fullOps(src: Source, theirs: readonly ManifestEntry[], tally: ResyncTally, ahead: ReadonlyMap<string, Buffer[]> = new Map(), hasher?: BlockHasher): AsyncGenerator<StreamOp> {
  const copy = indexManifest(theirs);
  const reader = xattrReader(src.root);
  const mine: Walked[] = [];
  for (const w of walk(src.root, src.scope)) if (mine.push(w) % FULL_TURN === 0) await turn();
  const have = new Set(mine.map((w) => w.rel));
  for (const rel of [...copy.keys()].sort()) if (!have.has(rel)) yield { op: 'remove', path: rel };
  const dirs: Walked[] = [];
  // the files the copy has and whose hashes we lack, hashed by the threads ahead of this loop
  const own = hasher ? null : new BlockHasher();
  const wants = (w: Walked) => !ahead.has(w.rel) && copy.get(w.rel)?.meta.k === 'file' && copy.get(w.rel)!.hashes.length > 0;
  try {
    for await (const { w: { rel, st }, hashes } of hashedWalk(src.root, xattrsReadAhead(mine.values(), reader), hasher ?? own!, { wants })) {
      if (st.isFile() && st.nlink > 1n) (tally.linked ??= []).push(rel);
      const other = copy.get(rel);
      // an entry the copy already has as it is here costs nothing: no ensure, no times
      const xattrsDiffer = other?.meta.x !== xattrDigest(reader.get(rel));
      let ensured = other === undefined || xattrsDiffer || !sameMeta(other.meta, src, rel, st);
      if (ensured) yield ensure(src, rel, st);
      if (xattrsDiffer) yield* xattrsOf(reader, rel, true);
      if (st.isFile()) {
        const known = ahead.get(rel) ?? hashes ?? [];
        for (const write of differingBlocks(src, rel, Number(st.size), other?.meta.k === 'file' ? other.hashes : [], known, tally)) {
          if (!ensured) { ensured = true; yield ensure(src, rel, st); }
          yield write;
        }
      }
      if (ensured) tally.files++;
      if (st.isDirectory()) dirs.push({ rel, st });
      else if (ensured) yield times(rel, st);
    }
  } finally {
    await own?.close();
  }
  for (const d of dirs.reverse()) yield times(d.rel, d.st); // their entries may have changed them
}

const EMPTY = Buffer.alloc(0);

/** The copy's entry has this entry's kind, metadata, size, time (as rfsverify compares it) and link target. */
function sameMeta(theirs: ManifestEntry, src: Source, rel: string, st: fs.BigIntStats): boolean {
  const kind = kindOf(st);
  return theirs.k === kind && theirs.mode === Number(st.mode) && theirs.uid === Number(st.uid) && theirs.gid === Number(st.gid)
    && theirs.size === (kind === 'file' ? Number(st.size) : 0) && theirs.rdev === Number(st.rdev) && sameTime(theirs.mtime, String(st.mtimeNs))
    && (kind !== 'symlink' || theirs.target === fs.readlinkSync(reachable(join(src.root, rel))));
}

/**
 * Writes of the blocks of a file that differ from the copy's hashes (`theirs`), read now. `known`:
 * hashes computed ahead; a block they cover is read only when it must be sent. A file gone
 * meanwhile yields nothing (the dirty map has it).
 */
function* differingBlocks(src: Source, rel: string, size: number, theirs: readonly Buffer[], known: readonly Buffer[], tally: ResyncTally): Generator<StreamOp> {
  let fd: number | null = null;
  let buf = EMPTY;
  try {
    for (let i = 0, at = 0; at < size; i++, at += BLOCK) {
      if (known[i] && theirs[i]?.equals(known[i])) continue;
      if (fd === null) {
        try { fd = fs.openSync(reachable(join(src.root, rel)), fs.constants.O_RDONLY); } catch { return; }
        buf = Buffer.allocUnsafe(BLOCK);
      }
      const n = fs.readSync(fd, buf, 0, Math.min(BLOCK, size - at), at);
      if (n === 0) break;
      if (!known[i] && theirs[i]?.equals(createHash('sha1').update(buf.subarray(0, n)).digest())) continue;
      tally.bytes += n;
      yield { op: 'write', path: rel, offset: at, data: Buffer.from(buf.subarray(0, n)) };
    }
  } finally {
    if (fd !== null) fs.closeSync(fd);
  }
}
