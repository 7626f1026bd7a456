// Runs in a worker thread: serves one FUSE mount. A blocking read(2) on /dev/fuse (on libuv's
// thread pool it would stall every fs, dns and crypto call of the process: RECIPES §1b), the
// request handled here (Passthrough), and the answer written here too — unless the request changed
// the tree. Then its changes and its answer go to the main thread, which answers once the changes
// are replicated (FuseSession.serve). Lookups, attributes, reads and closes never leave this thread:
// a hop between threads costs about 0.1 ms, several times the work of such a request.
//
// Messages to the main thread, in the order the requests were handled:
//   { t: 'c', changes, answer? }   changes applied locally, each { m, waits } (`waits`: the answer
//                                  waits for its replication; write data transferred), and the
//                                  answer of the request that made them, if it waits for them
//   { t: 'log', text, info }       the mount's news or a refused request
//   { t: 'closed', code, counts }  the mount is gone (ENODEV) or the device failed
// A request's changes go in one message with its answer, but an fsync's go at once: the copy
// flushes while this thread flushes the local file. EINTR/EAGAIN/ENOENT on read (an interrupted
// request) mean read again.

import { readSync } from 'node:fs';
import { parentPort, workerData } from 'node:worker_threads';
import { REQUEST_BUFFER } from './kernel.js';
import { Passthrough, type Mutation } from './passthrough.js';
import { writeReply } from './reply.js';

export interface ServeWorkerData {
  readonly fd: number;
  /** The directory underneath the mount. */
  readonly root: string;
  /** Int32 flags shared with the main thread: [0] = 1 while the mount is read-only. */
  readonly flags: SharedArrayBuffer;
}

const { fd, root, flags } = workerData as ServeWorkerData;
const shared = new Int32Array(flags);
const port = parentPort!;

let buffer = Buffer.allocUnsafe(REQUEST_BUFFER); // its own ArrayBuffer (larger than Node's pool)
/** The request buffer went to the main thread with a write's data: the next read needs a new one. */
let handedOn = false;

/** The current request's changes not posted yet, and what their message transfers. */
let changes: { m: Mutation; waits: boolean }[] = [];
let transfer: ArrayBuffer[] = [];
/** The current request made a change its answer waits for. */
let changed = false;

function flush(answer?: { unique: bigint; error: number; payload?: Uint8Array }): void {
  port.postMessage({ t: 'c', changes, answer }, transfer);
  changes = [];
  transfer = [];
}

/** A write's data is a view of the request buffer (Passthrough): that buffer is transferred, not copied. */
function keep(m: Mutation, waits: boolean): void {
  changed ||= waits;
  if (m.op === 'write' && m.data.length >= 4096) {
    handedOn = true;
    transfer.push(m.data.buffer as ArrayBuffer);
    changes.push({ m, waits });
  } else {
    // a clone of a view clones its whole ArrayBuffer: small data goes as an exact copy
    changes.push({ m: m.op === 'write' ? { ...m, data: new Uint8Array(m.data) as Buffer } : m, waits });
  }
  if (m.op === 'fsync') flush();
}

const handler = new Passthrough({
  root,
  onMutation: keep,
  log: (text, info) => port.postMessage({ t: 'log', text, info }),
});

function answer(unique: bigint, error: number, payload?: Buffer): void {
  if (changed) {
    flush({ unique, error, payload: payload && new Uint8Array(payload) });
    return;
  }
  if (changes.length) flush();
  // a failure other than ENOENT means the mount is going: the next read says so
  writeReply(fd, unique, error, payload);
}

for (;;) {
  if (handedOn) buffer = Buffer.allocUnsafe(REQUEST_BUFFER);
  handedOn = false;
  let n: number;
  try {
    n = readSync(fd, buffer, 0, REQUEST_BUFFER, null);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EINTR' || code === 'EAGAIN' || code === 'ENOENT') continue;
    port.postMessage({ t: 'closed', code, counts: handler.counts });
    break;
  }
  changed = false;
  handler.readOnly = Atomics.load(shared, 0) === 1;
  handler.handle(buffer.subarray(0, n), answer);
}
