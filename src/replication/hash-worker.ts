// Runs in a worker thread of a BlockHasher (hasher.ts): reads a run of a file's blocks and hashes
// each (SHA-1 of BLOCK bytes, the last one shorter). Reads are blocking here, on purpose: this
// thread has nothing else to do, and several such threads keep several reads in flight.
//
//   in:  HashJob[], each { id, path, size, from, count }: blocks [from, from + count) of a file of
//        `size` bytes (a batch: a message costs tens of microseconds, as much as a small file's work)
//   out: HashResult[], each { id, hashes }: 20 bytes per block read (fewer when the file shrank),
//        null when the file cannot be opened (gone meanwhile); or { id, error }: a read failed

import { createHash } from 'node:crypto';
import { closeSync, constants, openSync, readSync } from 'node:fs';
import { parentPort } from 'node:worker_threads';
import { BLOCK, HASH_BYTES } from './blocks.js';

export interface HashJob { readonly id: number; readonly path: string; readonly size: number; readonly from: number; readonly count: number }
export type HashResult = { readonly id: number; readonly hashes: Uint8Array | null } | { readonly id: number; readonly error: string };

const port = parentPort!;
const buffer = Buffer.allocUnsafe(BLOCK);

function hashRun(job: HashJob): HashResult {
  let fd: number;
  try { fd = openSync(job.path, constants.O_RDONLY); } catch { return { id: job.id, hashes: null }; }
  try {
    const out = new Uint8Array(job.count * HASH_BYTES); // its own ArrayBuffer: transferred, not copied
    let done = 0;
    for (; done < job.count; done++) {
      const at = (job.from + done) * BLOCK;
      if (at >= job.size) break;
      const n = readSync(fd, buffer, 0, Math.min(BLOCK, job.size - at), at);
      if (n === 0) break;
      out.set(createHash('sha1').update(buffer.subarray(0, n)).digest(), done * HASH_BYTES);
    }
    return { id: job.id, hashes: out.subarray(0, done * HASH_BYTES) };
  } catch (e) {
    return { id: job.id, error: (e as Error).message };
  } finally {
    closeSync(fd);
  }
}

port.on('message', (jobs: HashJob[]) => {
  const results = jobs.map(hashRun);
  port.postMessage(results, results.flatMap((r) => ('hashes' in r && r.hashes ? [r.hashes.buffer as ArrayBuffer] : [])));
});
