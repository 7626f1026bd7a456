// The client side of the node API, for this node's processes (the CLI, module checkers): HTTP over
// tandemd's unix socket. Null when no daemon answers; callers decide what that means.

import { request } from 'node:http';
import { paths } from './paths.js';

export interface DaemonReply<T> { readonly status: number; readonly body: T }

export function askDaemon<T>(root: string | undefined, method: 'GET' | 'POST', path: string, body: unknown, timeoutMs: number): Promise<DaemonReply<T> | null> {
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

