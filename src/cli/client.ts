// Talking to the local tandemd over its unix socket. A missing or refusing socket becomes the
// "needs the node daemon" message and exit 3.

import { askDaemon as ask, type DaemonReply } from '../daemon/local-client.js';
import { needsDaemon } from './daemon.js';
import type { Output } from './output.js';

export type { DaemonReply };

/** A request the command cannot do without: no daemon ⇒ exit 3 with the reason. */
export async function callDaemon<T>(command: string, out: Output, root: string | undefined, method: 'GET' | 'POST', path: string, body?: unknown, timeoutMs = 10_000): Promise<DaemonReply<T>> {
  const reply = await ask<T>(root, method, path, body, timeoutMs);
  return reply ?? needsDaemon(command, out, root);
}

/** A best-effort request (a notification): null when no daemon answers. */
export function tryDaemon<T>(root: string | undefined, method: 'GET' | 'POST', path: string, body?: unknown): Promise<DaemonReply<T> | null> {
  return ask<T>(root, method, path, body, 10_000);
}
