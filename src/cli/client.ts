// Talking to the local tandemd over its unix socket. A missing or refusing socket becomes the
// "needs the node daemon" message and exit 3.

import { request } from 'node:http';
import { paths } from '../daemon/paths.js';
import { needsDaemon } from './daemon.js';
import type { Output } from './output.js';

export interface DaemonReply<T> { readonly status: number; readonly body: T }

function ask<T>(root: string | undefined, method: 'GET' | 'POST', path: string, body: unknown, timeoutMs: number): Promise<DaemonReply<T> | null> {
  const socketPath = paths(root).socket;
  const payload = body === undefined ? undefined : JSON.stringify(body);
  return new Promise((resolve) => {
    const headers: Record<string, string> = { accept: 'application/json' };
    if (payload !== undefined) headers['content-type'] = 'application/json';
    const req = request({ socketPath, method, path, headers, timeout: timeoutMs }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => { text += c; });
      res.on('end', () => {
        try { resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) as T }); } catch { resolve(null); }
      });
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', () => resolve(null));
    req.end(payload);
  });
}

/** A request the command cannot do without: no daemon ⇒ exit 3 with the reason. */
export async function callDaemon<T>(command: string, out: Output, root: string | undefined, method: 'GET' | 'POST', path: string, body?: unknown, timeoutMs = 10_000): Promise<DaemonReply<T>> {
  const reply = await ask<T>(root, method, path, body, timeoutMs);
  return reply ?? needsDaemon(command, out, root);
}

/** A best-effort request (a notification): null when no daemon answers. */
export function tryDaemon<T>(root: string | undefined, method: 'GET' | 'POST', path: string, body?: unknown): Promise<DaemonReply<T> | null> {
  return ask<T>(root, method, path, body, 10_000);
}
