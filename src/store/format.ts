// Text forms of log and command-log records, as SafeKit prints them (SAFEKIT-BEHAVIOUR §10):
//   | 2021-08-06 08:40:20.909224 | reintegre | E | <text>

import type { CommandEntry, LogEntry } from './store.js';

export function formatTimestampUs(atUs: number): string {
  const d = new Date(Math.floor(atUs / 1000));
  const pad = (n: number, w = 2): string => String(n).padStart(w, '0');
  return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}.${pad(atUs % 1_000_000, 6)}`;
}

export function formatLogEntry(e: LogEntry): string {
  return `| ${formatTimestampUs(e.atUs)} | ${e.component} | ${e.level} | ${e.text}`;
}

export function formatCommand(e: CommandEntry): string {
  return `| ${formatTimestampUs(e.atUs)} | ${e.type} | ${e.module} | ${e.pid} | ${e.phase} | ${e.text}`;
}

/** `userlog_<YYYY>-<MM>-<DD>T<hhmmss>_<script>.ulog` (SAFEKIT-BEHAVIOUR §10.3), in UTC. */
export function userlogName(script: string, atMs: number): string {
  const d = new Date(atMs);
  const pad = (n: number): string => String(n).padStart(2, '0');
  const safe = script.replace(/[^A-Za-z0-9_.-]/g, '_');
  return `userlog_${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}T${pad(d.getUTCHours())}${pad(d.getUTCMinutes())}${pad(d.getUTCSeconds())}_${safe}.ulog`;
}
