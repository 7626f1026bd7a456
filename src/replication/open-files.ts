// Which processes hold files open in the replicated directories on this node (SAFEKIT-BEHAVIOUR
// §2.6.2: the secondary checks that replicated files are not open before a resynchronisation
// overwrites them). Reads /proc: only processes of our own mount namespace count (another
// namespace's path of the same name is another directory), and never this process.

import * as fs from 'node:fs';
import { isWithin } from '../shared/paths.js';

export interface OpenFile { readonly pid: number; readonly command: string; readonly path: string }

function link(path: string): string | null {
  try { return fs.readlinkSync(path); } catch { return null; } // gone meanwhile, or not ours to read
}

/** Open files under `dirs` (at most `limit`), by other processes of this mount namespace. */
export function openFilesUnder(dirs: readonly string[], limit = 5, self = process.pid): OpenFile[] {
  const ours = link('/proc/self/ns/mnt');
  const under = (p: string) => dirs.some((d) => isWithin(p, d));
  const out: OpenFile[] = [];
  for (const name of fs.readdirSync('/proc')) {
    const pid = Number(name);
    if (!Number.isInteger(pid) || pid === self || link(`/proc/${pid}/ns/mnt`) !== ours) continue;
    let fds: string[];
    try { fds = fs.readdirSync(`/proc/${pid}/fd`); } catch { continue; }
    for (const fd of fds) {
      const path = link(`/proc/${pid}/fd/${fd}`);
      if (path === null || !under(path.replace(/ \(deleted\)$/, ''))) continue;
      let command = '?';
      try { command = fs.readFileSync(`/proc/${pid}/comm`, 'utf8').trim(); } catch { /* gone */ }
      out.push({ pid, command, path });
      if (out.length >= limit) return out;
      break; // one file per process is enough to name it
    }
  }
  return out;
}
