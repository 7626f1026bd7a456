// The command log (SAFEKIT-BEHAVIOUR §10.5): every state-changing command is recorded on the node
// with its arguments, its caller and its exit code — `START | <args> -u <caller>` then `END | <code>`.

import { mkdirSync } from 'node:fs';
import { hostname, userInfo } from 'node:os';
import { Store } from '../store/store.js';
import { paths } from '../daemon/paths.js';

export function openNodeStore(root: string | undefined): Store {
  mkdirSync(paths(root).lib, { recursive: true });
  return new Store(paths(root).store, { now: () => Date.now() });
}

/** This node's name: TANDEM_NODE, else the name tandemd recorded, else the short host name. */
export function localNode(root: string | undefined): string {
  if (process.env.TANDEM_NODE) return process.env.TANDEM_NODE;
  try {
    const store = openNodeStore(root);
    try { return store.meta('node') ?? hostname().split('.')[0]; } finally { store.close(); }
  } catch {
    return hostname().split('.')[0];
  }
}

export function caller(): string {
  try { return userInfo().username; } catch { return `uid ${process.getuid?.() ?? '?'}`; }
}

/** Runs `fn` between START and END records; the log never stops the command itself. */
export async function recorded(root: string | undefined, module: string, args: readonly string[], fn: () => number | Promise<number>): Promise<number> {
  let store: Store | null = null;
  try {
    store = openNodeStore(root);
    store.appendCommand('tandem', module, process.pid, 'START', `${args.join(' ')} -u ${caller()}`);
  } catch {
    store = null; // an unwritable store must not block an operator's command
  }
  const code = await fn();
  try { store?.appendCommand('tandem', module, process.pid, 'END', String(code)); store?.close(); } catch { /* see above */ }
  return code;
}

/** printi / printe: a message from a script into the module log (I: verbose only, E: normal log). */
export function printToModuleLog(root: string | undefined, module: string, level: 'I' | 'E', text: string): void {
  const store = openNodeStore(root);
  store.appendLog(module, 'script', level, text);
  store.close();
}
