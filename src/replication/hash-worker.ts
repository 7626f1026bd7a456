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
import { reachable } from '../fuse/long-paths.js';

export interface HashJob { readonly id: number; readonly path: string; readonly size: number; readonly from: number; readonly count: number }
export type HashResult = { readonly id: number; readonly hashes: Uint8Array | null } | { readonly id: number; readonly error: string };

const port = parentPort!;
/** Blocks read per system call: fewer, larger reads keep the disk busier than one block at a time. */
const READ_BLOCKS = 8;
const buffer = Buffer.allocUnsafe(READ_BLOCKS * BLOCK);

function hashRun(job: HashJob): HashResult {
  let fd: number;
  try { fd = openSync(reachable(job.path), constants.O_RDONLY); } catch { return { id: job.id, hashes: null }; }
  try {
    const out = new Uint8Array(job.count * HASH_BYTES); // its own ArrayBuffer: transferred, not copied
    let done = 0;
    while (done < job.count) {
      const at = (job.from + done) * BLOCK;
      if (at >= job.size) break;
      const want = Math.min(Math.min(READ_BLOCKS, job.count - done) * BLOCK, job.size - at);
      const n = readFully(fd, want, at);
      for (let off = 0; off < n; off += BLOCK, done++) out.set(createHash('sha1').update(buffer.subarray(off, Math.min(off + BLOCK, n))).digest(), done * HASH_BYTES);
      if (n < want) break; // the file ends sooner than listed
    }
    return { id: job.id, hashes: out.subarray(0, done * HASH_BYTES) };
  } catch (e) {
    return { id: job.id, error: (e as Error).message };
  } finally {
    closeSync(fd);
  }
}

/** Reads up to `want` bytes at `at` into the buffer; fewer only at the end of the file. */
function readFully(fd: number, want: number, at: number): number {
  let got = 0;
  for (let n = -1; got < want && n !== 0; got += n) n = readSync(fd, buffer, got, want - got, at + got);
  return got;
}

port.on('message', (jobs: HashJob[]) => {
  const results = jobs.map(hashRun);
  port.postMessage(results, results.flatMap((r) => ('hashes' in r && r.hashes ? [r.hashes.buffer as ArrayBuffer] : [])));
});
