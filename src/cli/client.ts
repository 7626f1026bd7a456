// Talking to the local tandemd over its unix socket. A missing or refusing socket becomes the
// "needs the node daemon" message and exit 3.

import { request } from 'node:http';
import { paths } from '../daemon/paths.js';
import { needsDaemon } from './daemon.js';
import type { Output } from './output.js';

export async function callDaemon<T>(command: string, out: Output, root: string | undefined, method: 'GET' | 'POST', path: string): Promise<T> {
  const socketPath = paths(root).socket;
  return new Promise<T>((resolve) => {
    const req = request({ socketPath, method, path, headers: { accept: 'application/json' }, timeout: 10_000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => { body += c; });
      res.on('end', () => {
        try {
          resolve(JSON.parse(body) as T);
        } catch {
          needsDaemon(command, out, root);
        }
      });
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', () => needsDaemon(command, out, root));
    req.end();
  });
}
