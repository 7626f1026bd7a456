// One FUSE mount: opens /dev/fuse, mounts it over a directory with mount(8) (`mount -i`, so no
// helper runs; the fd is the child's fd 3: RECIPES §1b), reads requests in a worker thread and
// writes replies. The handler answers each request once (or not at all for FORGET/INTERRUPT).
// Unmounting (ours or an admin's) ends the session: the worker's read fails with ENODEV.

import { spawn } from 'node:child_process';
import { closeSync, openSync, writeSync, writevSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import { outHeader } from './codec.js';

export type Reply = (unique: bigint, error: number, payload?: Buffer) => void;

export interface SessionHandler {
  handle(request: Buffer, reply: Reply): void;
}

export interface MountOptions {
  /** Shown as the source in /proc/mounts. */
  readonly fsname: string;
}

export class FuseSession {
  private worker: Worker | null = null;
  private ended: Promise<string>;
  private resolveEnded!: (code: string) => void;

  private constructor(readonly mountpoint: string, private readonly fd: number) {
    this.ended = new Promise((r) => { this.resolveEnded = r; });
  }

  /** Mounts a FUSE file system at `mountpoint` (as root); requests go to `handler` once serve() runs. */
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

  /** Starts answering requests; resolves when the file system is unmounted. */
  serve(handler: SessionHandler): Promise<string> {
    const reply: Reply = (unique, error, payload) => {
      const header = outHeader(unique, error, payload?.length ?? 0);
      try {
        if (payload?.length) writevSync(this.fd, [header, payload]);
        else writeSync(this.fd, header);
      } catch (e) {
        // ENOENT: the request was interrupted meanwhile; anything else: the mount is gone
        if ((e as NodeJS.ErrnoException).code !== 'ENOENT') this.resolveEnded((e as NodeJS.ErrnoException).code ?? 'EIO');
      }
    };
    this.worker = new Worker(new URL('./reader-worker.js', import.meta.url), { workerData: { fd: this.fd } });
    this.worker.on('message', (m: { type: 'request'; data: ArrayBuffer } | { type: 'closed'; code: string }) => {
      if (m.type === 'request') handler.handle(Buffer.from(m.data), reply);
      else this.resolveEnded(m.code);
    });
    this.worker.on('error', (e) => this.resolveEnded(e.message));
    return this.ended;
  }

  /**
   * Unmounts (lazily when busy) and waits for the reader to see it. Never synchronously: umount(8)
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
