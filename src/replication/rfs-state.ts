// The replicator's own durable state, one JSON file per module (written to a temporary file,
// fsync'd, renamed): whether the last run ended cleanly, the dirty maps it kept, and what they are
// relative to. A map is trusted only when the run that kept it ended cleanly: a crash loses the
// changes recorded since its last save, and a full sync (block hashes) is the safe answer.

import * as fs from 'node:fs';
import { dirname } from 'node:path';
import type { Generation } from '../shared/generation.js';
import type { DirtyMap } from './dirty-map.js';

export interface RfsState {
  /** The run that wrote this ended with a clean shutdown. */
  readonly clean: boolean;
  /** The kernel's boot id when written: another one means the machine restarted (power loss). */
  readonly bootId: string;
  readonly role: 'primary' | 'secondary' | 'none';
  /** The generation the secondary held when the dirty maps started; null: the maps cover nothing. */
  readonly base: string | null;
  /** The copy may hold changes the primary never acknowledged: the next resync must be full. */
  readonly needsFull: boolean;
  /** When the run ended (ms since the epoch): entries changed after it were changed while stopped. */
  readonly stoppedAt: number;
  /** The generation last synchronised from (a secondary) or last run with (a primary). */
  readonly generation: Generation | null;
  readonly dirty: readonly ReturnType<DirtyMap['snapshot']>[];
  /** rfssync external prim: the name and the maps of every change since the command. Absent: none. */
  readonly seed?: { readonly uid: string; readonly dirty: readonly ReturnType<DirtyMap['snapshot']>[] } | null;
}

/** The kernel's boot id (TANDEM_BOOT_ID overrides it, as for tandemd: a lab node "reboots" so). */
export function bootId(): string {
  if (process.env.TANDEM_BOOT_ID) return process.env.TANDEM_BOOT_ID;
  try { return fs.readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim(); } catch { return 'unknown'; }
}

export function loadRfsState(file: string): RfsState | null {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8')) as RfsState;
  } catch {
    return null;
  }
}

export function saveRfsState(file: string, state: RfsState): void {
  fs.mkdirSync(dirname(file), { recursive: true });
  const tmp = `${file}.tmp`;
  const fd = fs.openSync(tmp, 'w', 0o600);
  try {
    fs.writeSync(fd, JSON.stringify(state));
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  fs.renameSync(tmp, file);
  const dir = fs.openSync(dirname(file), fs.constants.O_RDONLY);
  try { fs.fsyncSync(dir); } finally { fs.closeSync(dir); }
}
