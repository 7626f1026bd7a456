// The mounts of a module's replicated directories on one node. From the first role a started module
// takes until it stops, each directory is covered by our FUSE passthrough: replicating on the
// primary, read-only (EROFS) on the secondary and between roles. The directory is therefore never
// bare while the module runs — an application left running cannot write where nothing replicates.
//
// The replication itself reads and writes beneath every mount, through a "side" path: a
// non-recursive bind of the directory made before anything of ours covers it, kept in the run
// directory. A new mount is stacked on top of whatever is there (a dead mount of a replicator that
// was killed answers ENOTCONN until then), so no instant exists in which the bare directory shows.
// Everything of ours is peeled off when the module stops (release), so that an operator can work
// on the directory itself during maintenance.

import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import { join } from 'node:path';
import { FuseSession } from '../fuse/session.js';
import type { Mutation } from '../fuse/passthrough.js';
import type { ReplicatedDir } from '../shared/config.js';
import type { Source } from './scope.js';
import type { ReplicationFilter } from '../config/filters.js';

export interface MountsOptions {
  readonly module: string;
  readonly dirs: readonly ReplicatedDir[];
  /** Where the side paths live (one per directory, by index). */
  readonly sideDir: string;
  readonly scopes: readonly ReplicationFilter[];
  readonly onMutation: (root: number, m: Mutation) => Promise<void> | undefined;
  readonly log: (level: 'E' | 'I', text: string) => void;
  /** A mount ended without our release: someone unmounted it, or the kernel gave up on it. */
  readonly onEnded: (dir: string, why: string) => void;
}

interface Mounted { readonly session: FuseSession }

const FSNAME = 'tandem:';

/** The mounts at `path`, bottom first, from /proc/self/mounts. */
function mountsAt(path: string): { source: string; type: string }[] {
  const escaped = path.replace(/ /g, '\\040');
  return fs.readFileSync('/proc/self/mounts', 'utf8').split('\n').map((l) => l.split(' ')).filter((f) => f[1] === escaped).map((f) => ({ source: f[0], type: f[2] }));
}

const ours = (m: { source: string; type: string } | undefined) => m !== undefined && m.type === 'fuse' && m.source.startsWith(FSNAME);

export class ReplicatedMounts {
  private readonly mounted: (Mounted | null)[];
  private readOnly = true;
  private releasing = false;

  constructor(private readonly o: MountsOptions) {
    this.mounted = o.dirs.map(() => null);
  }

  /** Where the replication reads and writes directory `i`. */
  side(i: number): string {
    return `${this.o.sideDir}/${i}`;
  }

  sources(): Source[] {
    return this.o.dirs.map((_, i) => ({ root: this.side(i), scope: this.o.scopes[i] }));
  }

  /** Every directory covered by a live mount of ours, in the current mode. */
  async ensure(): Promise<void> {
    this.releasing = false;
    for (const [i, d] of this.o.dirs.entries()) {
      this.ensureSide(i);
      if (this.mounted[i]) continue;
      // <tocheck>: what must be there before replication starts (an unmounted file system shows an empty directory)
      const missing = d.tocheck.filter((p) => !fs.existsSync(join(this.side(i), p)));
      if (missing.length) throw new Error(`${missing.map((p) => join(d.dir, p)).join(', ')} must exist (<tocheck>) and does not: is the file system of ${d.dir} mounted?`);
      const session = await FuseSession.mount(d.dir, { fsname: `${FSNAME}${this.o.module}` });
      session.readOnly = this.readOnly;
      const entry: Mounted = { session };
      this.mounted[i] = entry;
      void session.serve({ root: this.side(i), onMutation: (m) => this.o.onMutation(i, m), log: (text, info) => this.o.log(info ? 'I' : 'E', `${d.dir}: ${text}`) }).then((why) => {
        if (this.mounted[i] === entry) this.mounted[i] = null;
        if (!this.releasing) this.o.onEnded(d.dir, why);
      });
    }
  }

  /** Read-only: every change refused with EROFS (the copy of a secondary, or between roles). */
  setReadOnly(readOnly: boolean): void {
    this.readOnly = readOnly;
    for (const m of this.mounted) if (m) m.session.readOnly = readOnly;
  }

  /** The module stopped: every mount of ours off the directories, and the side paths. */
  async release(): Promise<void> {
    this.releasing = true;
    for (const [i, d] of this.o.dirs.entries()) {
      const m = this.mounted[i];
      this.mounted[i] = null;
      if (m) await m.session.unmount();
      this.peel(d.dir);
      if (mountsAt(this.side(i)).length) spawnSync('umount', ['-l', this.side(i)]);
    }
  }

  /** Takes off the dead mounts of ours on top of `dir` (left by a replicator that was killed). */
  private peel(dir: string): number {
    let n = 0;
    while (ours(mountsAt(dir).at(-1)) && n < 64) {
      spawnSync('umount', ['-l', dir]);
      n++;
    }
    return n;
  }

  /** The side path of directory `i`, made (once per module run) before anything of ours covers it. */
  private ensureSide(i: number): void {
    const side = this.side(i);
    if (mountsAt(side).length) return;
    const dir = this.o.dirs[i].dir;
    // no side path yet: the directory must show itself, not a mount of ours (only after someone
    // removed the side path while the module ran is there one to take off first)
    const peeled = this.peel(dir);
    if (peeled) this.o.log('E', `${peeled} mount(s) of ${dir} left by a replicator that was killed were taken off`);
    fs.mkdirSync(dir, { recursive: true });
    fs.mkdirSync(side, { recursive: true });
    const r = spawnSync('mount', ['--bind', dir, side], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`the side path of ${dir} (${side}) could not be made: ${r.stderr.trim()}`);
  }
}
