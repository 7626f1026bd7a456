// tandem log / logview / cmdlog: read the node store directly (local only, as SafeKit's logview).

import { existsSync, writeFileSync } from 'node:fs';
import { isAbsolute } from 'node:path';
import { Store, NORMAL_LEVELS, type LogLevel } from '../store/store.js';
import { formatCommand, formatLogEntry } from '../store/format.js';
import { EXIT, emit, fail, type Output } from './output.js';
import { paths } from '../daemon/paths.js';

function openStore(out: Output, root?: string): Store {
  const file = paths(root).store;
  if (!existsSync(file)) fail(out, EXIT.failed, `no node store at ${file}`, 'nothing has run on this node yet, or pass --root for a lab node');
  return new Store(file, { now: () => Date.now() }, undefined, { readonly: true });
}

export interface LogOptions {
  readonly module: string;
  readonly all?: boolean;
  readonly info?: boolean;
  readonly size?: string;
  readonly follow?: boolean;
  readonly root?: string;
}

function levels(o: LogOptions): LogLevel[] {
  if (o.all) return ['U', 'E', 'C', 'S', 'I', 'D'];
  if (o.info) return [...NORMAL_LEVELS, 'I'];
  return [...NORMAL_LEVELS];
}

export async function showLog(o: LogOptions, out: Output): Promise<number> {
  const limit = o.size === undefined ? 300 : Number(o.size);
  if (!Number.isInteger(limit) || limit < 1) fail(out, EXIT.invalid, `-s ${o.size} is not a positive number of messages`);
  const store = openStore(out, o.root);
  let entries = store.readLog(o.module, levels(o), limit);
  if (entries.length === 0 && !o.follow) {
    emit(out, { module: o.module, entries: [] }, () => `no messages for module ${o.module}`);
    return EXIT.ok;
  }
  emit(out, { module: o.module, entries }, () => entries.map(formatLogEntry).join('\n'));
  if (!o.follow) return EXIT.ok;
  // follow: poll for new rows; one JSON document per line with --json
  let last = entries.at(-1)?.id ?? 0;
  for (;;) {
    await new Promise((r) => setTimeout(r, 500));
    entries = store.readLog(o.module, levels(o), 10_000, last);
    for (const e of entries) process.stdout.write(out.json ? `${JSON.stringify(e)}\n` : `${formatLogEntry(e)}\n`);
    last = entries.at(-1)?.id ?? last;
  }
}

export function showCmdlog(o: { size?: string; root?: string }, out: Output): number {
  const limit = o.size === undefined ? 300 : Number(o.size);
  if (!Number.isInteger(limit) || limit < 1) fail(out, EXIT.invalid, `-s ${o.size} is not a positive number of entries`);
  const entries = openStore(out, o.root).readCommands(limit);
  emit(out, { entries }, () => (entries.length ? entries.map(formatCommand).join('\n') : 'the command log is empty'));
  return EXIT.ok;
}

/** logsave: the module log into a file (absolute path), as `log` prints it. */
export function saveLog(o: LogOptions & { readonly file: string }, out: Output): number {
  if (!isAbsolute(o.file)) fail(out, EXIT.invalid, `logsave needs an absolute file path, not "${o.file}"`, `tandem logsave -m ${o.module} /tmp/${o.module}.log`);
  const entries = openStore(out, o.root).readLog(o.module, levels(o), 1_000_000);
  writeFileSync(o.file, entries.map((e) => `${formatLogEntry(e)}\n`).join(''));
  emit(out, { ok: true, file: o.file, messages: entries.length }, () => `${entries.length} messages of module ${o.module} saved in ${o.file}`);
  return EXIT.ok;
}
