// What of a replicated directory the secondary's copy holds, applied to the primary's changes
// (the rules: docs/replication-filters.md, src/config/filters.ts). A change inside the scope goes
// to the copy as it is; a change outside goes nowhere; a rename across the boundary becomes the
// removal of the old name, or the new name sent in whole; a directory replicated only when needed
// ("!" rules) is created on the copy just before the first replicated entry beneath it.
//
// Reads the primary's tree (underneath its mount) to know what a renamed entry is: call it right
// after the change was applied locally, before the next one is sent.

import * as fs from 'node:fs';
import { join } from 'node:path';
import type { Mutation } from '../fuse/passthrough.js';
import { EVERYTHING, type ReplicationFilter } from '../config/filters.js';
import { holdsReplicated, walk } from './manifest.js';
import type { DirtyMap } from './dirty-map.js';
import { reachable } from '../fuse/long-paths.js';

/** A replicated directory as the primary reads it: underneath its mount, never through it. */
export interface Source {
  readonly root: string;
  readonly scope: ReplicationFilter;
}

/** What to send for one change, in this order; every part may be absent. */
export interface ScopedChange {
  /** A name the copy must no longer have (with its subtree). */
  readonly remove: string | null;
  /** Directories replicated only when needed above the new entry: the copy may not have them yet. */
  readonly parents: readonly string[];
  /** The change itself. */
  readonly send: Mutation | null;
  /** A name to send in whole, as it is now (a directory with its replicated subtree). */
  readonly whole: string | null;
}

export function lstatOf(src: Source, rel: string): fs.BigIntStats | null {
  try { return fs.lstatSync(reachable(join(src.root, rel)), { bigint: true }); } catch { return null; }
}

/** Whether the entry at `rel` (as `st` says it is now) belongs on the copy. */
export function inScope(src: Source, rel: string, st: fs.BigIntStats): boolean {
  if (!st.isDirectory()) return src.scope.file(rel);
  const d = src.scope.directory(rel);
  return d === 'replicated' || (d === 'when-needed' && holdsReplicated(src.root, src.scope, rel));
}

/** The directories above `rel` replicated only when needed, outermost first. */
export function neededParents(scope: ReplicationFilter, rel: string): string[] {
  if (!scope.replicateOnly) return [];
  const parts = rel.split('/');
  const out: string[] = [];
  for (let i = 1; i < parts.length; i++) {
    const up = parts.slice(0, i).join('/');
    if (scope.directory(up) === 'when-needed') out.push(up);
  }
  return out;
}

const NOTHING: ScopedChange = { remove: null, parents: [], send: null, whole: null };
const asIs = (scope: ReplicationFilter, m: Mutation, rel: string): ScopedChange => ({ remove: null, parents: neededParents(scope, rel), send: m, whole: null });

/** What the copy needs for change `m`; null when the change goes as it is (no rules at all). */
export function scopedChange(src: Source, m: Mutation): ScopedChange | null {
  const scope = src.scope;
  if (!scope.hasRules) return null;
  if (m.op === 'rename') return scopedRename(src, m);
  const rel = m.path;
  switch (m.op) {
    case 'mkdir': return scope.directory(rel) === 'replicated' ? asIs(scope, m, rel) : NOTHING;
    case 'rmdir': {
      const d = scope.directory(rel);
      // a directory replicated only when needed may not be on the copy: removed if it is
      return d === 'excluded' ? NOTHING : d === 'when-needed' ? { ...NOTHING, remove: rel } : asIs(scope, m, rel);
    }
    case 'chmod': case 'chown': case 'utimens': case 'fsync': { // fsync: of a file or a directory
      const st = lstatOf(src, rel);
      return (st ? inScope(src, rel, st) : scope.file(rel)) ? asIs(scope, m, rel) : NOTHING;
    }
    default: return scope.file(rel) ? asIs(scope, m, rel) : NOTHING;
  }
}

function scopedRename(src: Source, m: Extract<Mutation, { op: 'rename' }>): ScopedChange {
  const scope = src.scope;
  const st = lstatOf(src, m.to);
  if (!st?.isDirectory()) {
    switch (scope.rename(m.from, m.to)) {
      case 'rename': return asIs(scope, m, m.to);
      case 'send-as-new': return { remove: null, parents: neededParents(scope, m.to), send: null, whole: m.to };
      case 'delete-on-secondary': return { ...NOTHING, remove: m.from };
      case 'nothing': return NOTHING;
    }
  }
  const wasOn = scope.directory(m.from) !== 'excluded';
  const goesOn = inScope(src, m.to, st);
  if (!goesOn) return { ...NOTHING, remove: wasOn ? m.from : null };
  // the copy's subtree can simply move when every entry in it keeps its fate under the new name
  if (wasOn && sameFates(src, m.from, m.to)) return asIs(scope, m, m.to);
  return { remove: wasOn ? m.from : null, parents: neededParents(scope, m.to), send: null, whole: m.to };
}

/** Every entry under `to` is replicated, or not, as it was under `from` (and the directory itself). */
function sameFates(src: Source, from: string, to: string): boolean {
  const scope = src.scope;
  if (scope.directory(from) !== scope.directory(to)) return false;
  for (const { rel, st } of walk(src.root, EVERYTHING, to)) {
    const old = from + rel.slice(to.length);
    if (st.isDirectory() ? scope.directory(old) !== scope.directory(rel) : scope.file(old) !== scope.file(rel)) return false;
  }
  return true;
}

/** Notes a change in a dirty map as the copy will need it, for the next reintegration (resync.ts zoneOps). */
export function recordScoped(dirty: DirtyMap, m: Mutation, scoped: ScopedChange | null): void {
  if (scoped === null) { dirty.record(m); return; }
  if (scoped.remove) dirty.record({ op: 'unlink', path: scoped.remove });
  for (const up of scoped.parents) dirty.record({ op: 'chmod', path: up, mode: 0 }); // its metadata: an ensure
  if (scoped.send) dirty.record(scoped.send);
  if (scoped.whole) dirty.record({ op: 'create', path: scoped.whole, mode: 0, uid: 0, gid: 0 }); // all of it
}
