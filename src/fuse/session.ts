// One FUSE mount: opens /dev/fuse, mounts it over a directory with mount(8) (`mount -i`, so no
// helper runs; the fd is the child's fd 3: RECIPES §1b), and serves it from a worker thread
// (serve-worker.ts) that reads the requests, applies them to the directory underneath and answers
// those that changed nothing. The changes come here, in order, to `onMutation`; the answer of a
// request that made changes is written once every promise its changes returned has resolved (the
// secondary has them, or this node has durably gone on alone) — EIO if one was rejected. (The
// file times sent when a file is released are the exception: see Passthrough's RELEASE.)
// Unmounting (ours or an admin's) ends the session: the worker's read fails with ENODEV.

import { spawn } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import { ERRNO } from './kernel.js';
import type { Mutation } from './passthrough.js';
import { writeReply } from './reply.js';
import type { ServeWorkerData } from './serve-worker.js';

export interface MountOptions {
  /** Shown as the source in /proc/mounts. */
  readonly fsname: string;
}

export interface ServeOptions {
  /** The directory underneath the mount, as a path the worker can open (see Passthrough). */
  readonly root: string;
  /** Every change applied locally, in order; its request is answered when the promise resolves. */
  readonly onMutation?: (m: Mutation) => void | Promise<void>;
  /** `info`: the mount's own news; otherwise something an operator should see. */
  readonly log?: (text: string, info?: boolean) => void;
}

type WorkerMessage =
  | { t: 'c'; changes: { m: Mutation; waits: boolean }[]; answer?: { unique: bigint; error: number; payload?: Uint8Array } }
  | { t: 'log'; text: string; info?: boolean }
  | { t: 'closed'; code: string; counts: Record<string, number> };

/** Structured cloning turns a Buffer into a plain Uint8Array: give write data its Buffer back. */
function revive(m: Mutation): Mutation {
  return m.op === 'write' ? { ...m, data: Buffer.from(m.data.buffer, m.data.byteOffset, m.data.byteLength) } : m;
}

export class FuseSession {
  private worker: Worker | null = null;
  private ended: Promise<string>;
  private resolveEnded!: (code: string) => void;
  private readonly flags = new Int32Array(new SharedArrayBuffer(4));
  /** Requests handled, by operation, once the mount has ended. */
  counts: Record<string, number> = {};

  private constructor(readonly mountpoint: string, private readonly fd: number) {
    this.ended = new Promise((r) => { this.resolveEnded = r; });
  }

  /** Mounts a FUSE file system at `mountpoint` (as root); requests are answered once serve() runs. */
  static async mount(mountpoint: string, options: MountOptions): Promise<FuseSession> {
    const fd = openSync('/dev/fuse', 'r+');
    const opts = 'fd=3,rootmode=40000,user_id=0,group_id=0,allow_other,default_permissions';
    const code = await new Promise<number | null>((resolve) => {
      const child = spawn('mount', ['-i', '-c', '-t', 'fuse', '-o', opts, options.fsname, mountpoint], { stdio: ['ignore', 'ignore', 'pipe', fd] });
      let err = '';
      child.stderr!.on('data', (c: Buffer) => { err += c.toString(); });
      child.on('error', () => resolve(-1));
      child.on('exit', (c) => { if (c !== 0) process.stderr.write(err); resolve(c); });
    });
    if (code !== 0) {
      closeSync(fd);
      throw new Error(`mount of the FUSE file system over ${mountpoint} failed (exit ${code}); it needs root and /dev/fuse`);
    }
    return new FuseSession(mountpoint, fd);
  }

  /** While read-only, every request that would change the tree is refused with EROFS. */
  set readOnly(on: boolean) {
    Atomics.store(this.flags, 0, on ? 1 : 0);
  }

  /** Starts answering requests; resolves when the file system is unmounted. */
  serve(o: ServeOptions): Promise<string> {
    let waits: Promise<void>[] = [];
    const data: ServeWorkerData = { fd: this.fd, root: o.root, flags: this.flags.buffer as SharedArrayBuffer };
    this.worker = new Worker(new URL('./serve-worker.js', import.meta.url), { workerData: data });
    this.worker.on('message', (w: WorkerMessage) => {
      switch (w.t) {
        case 'c': {
          for (const { m, waits: answerWaits } of w.changes) {
            const wait = o.onMutation?.(revive(m));
            if (wait && answerWaits) waits.push(wait);
            else wait?.catch((e: Error) => o.log?.(`a change could not be replicated: ${e.message}`));
          }
          if (!w.answer) return;
          const { unique, error } = w.answer;
          const list = waits;
          waits = [];
          const payload = w.answer.payload && Buffer.from(w.answer.payload.buffer, w.answer.payload.byteOffset, w.answer.payload.byteLength);
          if (list.length === 0) return this.reply(unique, error, payload);
          Promise.all(list).then(() => this.reply(unique, error, payload), (e: Error) => {
            o.log?.(`a change could not be replicated: ${e.message}`);
            this.reply(unique, ERRNO.EIO);
          });
          return;
        }
        case 'log': return o.log?.(w.text, w.info);
        case 'closed':
          this.counts = w.counts;
          return this.resolveEnded(w.code);
      }
    });
    this.worker.on('error', (e) => this.resolveEnded(e.message));
    return this.ended;
  }

  private reply(unique: bigint, error: number, payload?: Buffer): void {
    const failed = writeReply(this.fd, unique, error, payload);
    if (failed !== null && failed !== 'ENOENT') this.resolveEnded(failed);
  }

  /**
   * Unmounts (lazily when busy) and waits for the worker to see it. Never synchronously: umount(8)
   * looks the mount point up, which is a request this process must answer.
   */
  async unmount(): Promise<void> {
    const umount = (args: string[]) => new Promise<number | null>((resolve) => {
      const child = spawn('umount', [...args, this.mountpoint], { stdio: 'ignore' });
      child.on('error', () => resolve(-1));
      child.on('exit', resolve);
    });
    if (await umount([]) !== 0) await umount(['-l']);
    await Promise.race([this.ended, new Promise((r) => setTimeout(r, 2000))]);
    await this.worker?.terminate();
    try { closeSync(this.fd); } catch { /* closed */ }
  }
}
