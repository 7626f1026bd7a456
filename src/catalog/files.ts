// Module directories on disk: read a tree into zip entries, write entries into a fresh tree, and the
// signature `confinfo` compares (a hash over names, executable bits and contents).

import { createHash } from 'node:crypto';
import { chmodSync, existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { safeEntryName, type ZipEntry } from './zip.js';

/** Every regular file under `dir`, sorted by name; symbolic links and special files are skipped. */
export function readTree(dir: string): ZipEntry[] {
  const out: ZipEntry[] = [];
  const walk = (rel: string): void => {
    for (const name of readdirSync(join(dir, rel)).sort()) {
      const relName = rel ? `${rel}/${name}` : name;
      const st = lstatSync(join(dir, relName));
      if (st.isDirectory()) walk(relName);
      else if (st.isFile()) out.push({ name: relName, data: readFileSync(join(dir, relName)), mode: st.mode & 0o777 });
    }
  };
  if (existsSync(dir)) walk('');
  return out;
}

/**
 * Writes `entries` as the new content of `dir`, replacing it whole: the tree is built beside it and
 * renamed into place, so a failure leaves the old directory as it was.
 */
export function replaceTree(dir: string, entries: readonly ZipEntry[]): void {
  const building = `${dir}.new-${process.pid}`;
  rmSync(building, { recursive: true, force: true });
  mkdirSync(building, { recursive: true });
  for (const e of entries) {
    const name = safeEntryName(e.name);
    if (!name) throw new Error(`refusing the file name "${e.name}"`);
    const path = join(building, name);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, e.data, { mode: e.mode });
    chmodSync(path, e.mode);
  }
  const old = `${dir}.old-${process.pid}`;
  if (existsSync(dir)) renameSync(dir, old);
  mkdirSync(dirname(dir), { recursive: true });
  renameSync(building, dir);
  rmSync(old, { recursive: true, force: true });
}

export function treeSignature(entries: readonly ZipEntry[]): string {
  const h = createHash('sha256');
  for (const e of [...entries].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
    h.update(`${e.name}\0${e.mode & 0o111 ? 'x' : '-'}\0${e.data.length}\0`).update(e.data);
  }
  return h.digest('hex').slice(0, 16);
}

/** The newest modification time in a tree, in Unix seconds (0 when empty). */
export function treeMtime(dir: string): number {
  let newest = 0;
  const walk = (path: string): void => {
    const st = lstatSync(path);
    newest = Math.max(newest, Math.floor(st.mtimeMs / 1000));
    if (st.isDirectory()) for (const n of readdirSync(path)) walk(join(path, n));
  };
  if (existsSync(dir)) walk(dir);
  return newest;
}
