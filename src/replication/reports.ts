// The replicator's reports: rfsverify (on the secondary: its copy against the primary's
// description, entry by entry and block by block) and rfsdiff (on the primary: what a
// reintegration would send now, and how long it would take). They read; they never change a copy.

import * as fs from 'node:fs';
import { join } from 'node:path';
import { TO_END, type DirtyMap } from './dirty-map.js';
import { compareManifests, describe, walk, type Difference, type ManifestEntry } from './manifest.js';
import type { Source } from './scope.js';
import { reachable } from '../fuse/long-paths.js';

export interface VerifyReport { readonly identical: boolean; readonly entries: number; readonly differences: readonly Difference[] }

export interface DiffReport {
  /** The dirty map covers the secondary's copy: a reintegration sends only this. Else a full sync. */
  readonly zones: boolean;
  readonly secondary: 'live' | 'resync' | 'away';
  readonly dirs: readonly { readonly dir: string; readonly changed: number; readonly removed: number; readonly bytes: number }[];
  readonly bytes: number;
  readonly rateBytesPerS: number;
  readonly rateFrom: string;
  readonly estimatedS: number;
}

/** Each replicated directory: its path, and where the replication reads it (beneath the mounts). */
export interface ReportedDir { readonly dir: string; readonly source: Source }

/** This copy against the primary's description of its directories (by index). */
export async function verifyCopy(dirs: readonly ReportedDir[], primary: Map<number, ManifestEntry[]>): Promise<VerifyReport> {
  const differences: Difference[] = [];
  let entries = 0;
  for (const [i, d] of dirs.entries()) {
    const mine: ManifestEntry[] = [];
    await describe(d.source.root, d.source.scope, (batch) => { for (const e of batch) mine.push(e); });
    const theirs = primary.get(i) ?? [];
    entries += theirs.filter((e) => e.k !== undefined).length;
    for (const x of compareManifests(theirs, mine)) differences.push({ path: join(d.dir, x.path), what: x.what });
  }
  return { identical: differences.length === 0, entries, differences };
}

export interface DiffInput {
  readonly dirs: readonly ReportedDir[];
  readonly dirty: readonly DirtyMap[];
  readonly zones: boolean;
  readonly secondary: DiffReport['secondary'];
  /** Bytes per second of the last reintegration (0: none yet), and reiallowedbw in KiB/s. */
  readonly lastRate: number;
  readonly bandwidthKBs?: number;
}

/** What a reintegration would send now: the dirty map's zones, or every file when it cannot be used. */
export function diffReport(o: DiffInput): DiffReport {
  const dirs = o.dirs.map((d, i) => {
    const { root, scope } = d.source;
    const treeBytes = (under?: string) => [...walk(root, scope, under)].reduce((n, w) => n + (w.st.isFile() ? Number(w.st.size) : 0), 0);
    const sizeOf = (rel: string) => { try { const st = fs.lstatSync(reachable(join(root, rel))); return st.isFile() ? st.size : 0; } catch { return 0; } }; // gone since
    const snap = o.dirty[i].snapshot();
    let bytes = o.dirty[i].dirtyBytes();
    for (const [rel, e] of Object.entries(snap.changed)) {
      if (e.whole) bytes += sizeOf(rel) + treeBytes(rel);
      else if (e.ranges.some(([, b]) => b === TO_END)) bytes += sizeOf(rel);
    }
    return { dir: d.dir, changed: Object.keys(snap.changed).length, removed: snap.removed.length, bytes: o.zones ? bytes : treeBytes() };
  });
  const bytes = dirs.reduce((n, d) => n + d.bytes, 0);
  const [rateBytesPerS, rateFrom] = o.lastRate ? [o.lastRate, 'the last reintegration'] : o.bandwidthKBs ? [o.bandwidthKBs * 1024, 'reiallowedbw'] : [100 * 1024 * 1024, 'an assumed 100 MB/s'];
  return { zones: o.zones, secondary: o.secondary, dirs, bytes, rateBytesPerS, rateFrom, estimatedS: Math.ceil(bytes / rateBytesPerS) };
}
