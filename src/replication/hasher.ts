// Block hashes of files, computed by worker threads that read and hash (hash-worker.ts), so that:
//   - the replicator's main thread stays free for the replication stream and the application's
//     writes while a full synchronisation or rfsverify reads the whole tree;
//   - several reads are in flight: a small file not in the page cache costs a disk round trip,
//     and one reader would wait for each in turn (rsync -c does); a large file is cut into runs
//     of RUN_BLOCKS blocks hashed in parallel, on as many cores as there are threads.
// Jobs go to a thread in batches: a message costs the main thread about 40 µs, as much as a small
// file's whole work. Results come back in any order; each promise resolves with its own file's
// hashes. A thread that fails ends the hasher: what waits, and what comes after, is rejected.

import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { BLOCK, HASH_BYTES } from './blocks.js';
import type { HashJob, HashResult } from './hash-worker.js';

/** Blocks per job: 32 MiB, long enough for the kernel's read-ahead, short enough to spread a large file. */
const RUN_BLOCKS = 256;
/** Jobs in one message to a thread, at most (and no more blocks than a run, unless one job has more). */
const BATCH_JOBS = 64;
/** At least this many threads whatever the cores: for small files they wait on the disk, not the CPU. */
const MIN_THREADS = 4;

interface Pending { readonly resolve: (r: HashResult) => void }

export class BlockHasher {
  private readonly workers: Worker[] = [];
  private readonly idle: Worker[] = [];
  private readonly queue: HashJob[] = [];
  private readonly pending = new Map<number, Pending>();
  private nextId = 0;
  private closed = false;
  private dispatching = false;

  constructor(threads = Math.max(MIN_THREADS, availableParallelism())) {
    for (let i = 0; i < threads; i++) {
      const w = new Worker(new URL('./hash-worker.js', import.meta.url));
      w.on('message', (results: HashResult[]) => this.done(w, results));
      w.on('error', (e) => { this.closed = true; this.failAll(`a hashing thread failed: ${e.message}`); });
      this.workers.push(w);
      this.idle.push(w);
    }
  }

  /**
   * The hash of each block of the file at `path` (as far as `size`, its size when listed); null
   * when it cannot be opened (gone meanwhile). Rejects when a read fails.
   */
  async hash(path: string, size: number): Promise<Buffer[] | null> {
    const blocks = Math.ceil(size / BLOCK);
    const counts: number[] = [];
    for (let from = 0; from < blocks || counts.length === 0; from += RUN_BLOCKS) counts.push(Math.min(RUN_BLOCKS, blocks - from));
    const runs = await Promise.all(counts.map((count, i) => this.submit(path, size, i * RUN_BLOCKS, count)));
    const out: Buffer[] = [];
    for (const [i, r] of runs.entries()) {
      if ('error' in r) throw new Error(`${path}: ${r.error}`);
      if (r.hashes === null) return null;
      const raw = Buffer.from(r.hashes.buffer, r.hashes.byteOffset, r.hashes.byteLength);
      for (let at = 0; at < raw.length; at += HASH_BYTES) out.push(raw.subarray(at, at + HASH_BYTES));
      if (raw.length < counts[i] * HASH_BYTES) break; // shrank meanwhile: the later runs hashed nothing of it
    }
    return out;
  }

  /** Stops the threads; hashes still awaited reject. */
  async close(): Promise<void> {
    this.closed = true;
    this.failAll('the hasher was closed');
    await Promise.all(this.workers.map((w) => w.terminate()));
  }

  private submit(path: string, size: number, from: number, count: number): Promise<HashResult> {
    if (this.closed) return Promise.resolve({ id: -1, error: 'the hasher was closed' });
    const job: HashJob = { id: this.nextId++, path, size, from, count };
    return new Promise((resolve) => {
      this.pending.set(job.id, { resolve });
      this.queue.push(job);
      if (this.dispatching) return;
      this.dispatching = true; // once the caller has queued what it has at hand: fuller batches
      queueMicrotask(() => { this.dispatching = false; this.dispatch(); });
    });
  }

  /** Gives each idle thread a batch of the queued jobs. */
  private dispatch(): void {
    while (this.idle.length > 0 && this.queue.length > 0) {
      const batch: HashJob[] = [];
      for (let blocks = 0; this.queue.length > 0 && batch.length < BATCH_JOBS && blocks < RUN_BLOCKS;) {
        const job = this.queue.shift()!;
        batch.push(job);
        blocks += Math.max(1, job.count);
      }
      this.idle.pop()!.postMessage(batch);
    }
  }

  private done(w: Worker, results: HashResult[]): void {
    this.idle.push(w);
    this.dispatch();
    for (const r of results) {
      this.pending.get(r.id)?.resolve(r);
      this.pending.delete(r.id);
    }
  }

  private failAll(error: string): void {
    for (const [id, p] of this.pending) p.resolve({ id, error });
    this.pending.clear();
    this.queue.length = 0;
  }
}
