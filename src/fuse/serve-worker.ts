// Runs in a worker thread: blocking read(2) on /dev/fuse, one request at a time, each handed to the
// main thread (the buffer is transferred, not copied twice). A blocking read on libuv's thread pool
// would stall every fs, dns and crypto call of the process (RECIPES §1b), so it lives here.
// EINTR/EAGAIN/ENOENT (an interrupted request) mean read again; ENODEV means unmounted.

import { readSync } from 'node:fs';
import { parentPort, workerData } from 'node:worker_threads';
import { REQUEST_BUFFER } from './kernel.js';

const { fd } = workerData as { fd: number };
const buffer = Buffer.allocUnsafe(REQUEST_BUFFER);
for (;;) {
  let n: number;
  try {
    n = readSync(fd, buffer, 0, REQUEST_BUFFER, null);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EINTR' || code === 'EAGAIN' || code === 'ENOENT') continue;
    parentPort!.postMessage({ type: 'closed', code });
    break;
  }
  const copy = new ArrayBuffer(n);
  new Uint8Array(copy).set(buffer.subarray(0, n));
  parentPort!.postMessage({ type: 'request', data: copy }, [copy]);
}
