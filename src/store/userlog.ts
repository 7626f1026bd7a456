// Per-run script logs: one file per script execution in the module's log directory. Files over
// `userlogsize` KB are truncated to 0 at module start (SAFEKIT-BEHAVIOUR §5.8); the caller asks.

import { mkdirSync, openSync, readdirSync, statSync, truncateSync } from 'node:fs';
import { join } from 'node:path';
import { userlogName } from './format.js';

/** Creates the log file of one script run and returns its path and an open fd for stdout/stderr. */
export function openUserlog(dir: string, script: string, atMs: number): { path: string; fd: number } {
  mkdirSync(dir, { recursive: true });
  let path = join(dir, userlogName(script, atMs));
  // two runs of one script within a second: keep both
  for (let n = 1; existsFile(path); n++) path = join(dir, userlogName(`${script}.${n}`, atMs));
  return { path, fd: openSync(path, 'wx', 0o640) };
}

/** Truncates userlogs that reached `limitKB`; returns the files it truncated. */
export function truncateLargeUserlogs(dir: string, limitKB: number): string[] {
  const out: string[] = [];
  let names: string[];
  try { names = readdirSync(dir); } catch { return out; }
  for (const name of names) {
    if (!/^userlog_.*\.ulog$/.test(name)) continue;
    const path = join(dir, name);
    if (statSync(path).size >= limitKB * 1024) { truncateSync(path, 0); out.push(path); }
  }
  return out;
}

function existsFile(path: string): boolean {
  try { statSync(path); return true; } catch { return false; }
}
