// A 2-node mirror replicating one directory, in the lab, for the replication system tests: each
// node has its own directory at the same path `data` (a bind mount of `backing[node]` in its mount
// namespace, as on separate machines). The module is configured and exported; nothing is started.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { until } from './helpers.js';
import { mirrorLab, type MirrorLab } from './lab-mirror.js';
import { Lab, labUnavailable } from '../src/lab/lab.js';

export const replicationSkip = labUnavailable() || (!fs.existsSync('/dev/fuse') ? 'needs /dev/fuse' : false);

export type LabNodeName = 'n1' | 'n2';

export interface ReplicationLab extends MirrorLab {
  readonly lab: Lab;
  readonly dir: string;
  /** The replicated directory's path on every node. */
  readonly data: string;
  /** Each node's directory as the host sees it (underneath any mount the node makes). */
  readonly backing: Readonly<Record<LabNodeName, string>>;
  /** `tandem ARGS` on a node, which must succeed. */
  tandem(node: string, ...args: string[]): void;
  /** A shell command on a node, which must succeed; its output. */
  sh(node: string, script: string): string;
  /** The secondary is SECOND with its copy up to date (its reintegration ended), the other PRIM. */
  synced(secondary: LabNodeName, ms?: number): Promise<void>;
  /** Starts n1 forced primary and n2 as secondary, and waits for the first full sync to end. */
  pair(): Promise<void>;
}

/**
 * `prepare` fills the backing directories before anything runs. With `images`, each node's
 * directory is instead an ext4 file system in an image file (`dir`/n1.img) loop-mounted in its
 * mount namespace, so that a power failure can be imitated by copying the image (the backing
 * directories are then empty: read the data inside the nodes). `rfsAttributes` go into <rfs …>,
 * `inside` into <replicated> (its <notreplicated> rules), `service` after <user/> (a <check>).
 */
export async function replicationLab(net: string, prepare: (backing: Record<LabNodeName, string>) => void = () => undefined, images = false, rfsAttributes = '', inside = '', service = ''): Promise<ReplicationLab> {
  const dir = fs.mkdtempSync(join(tmpdir(), 'lab-repl-'));
  const lab = new Lab(dir, 3, net);
  const data = join(dir, 'data');
  const backing = { n1: join(dir, 'n1-data'), n2: join(dir, 'n2-data') };
  const MODULE = `<safe><service mode="mirror" timing="fast"><heart><heartbeat name="default"/></heart>
    <rfs${rfsAttributes}><replicated dir="${data}" mode="read_only">${inside}</replicated></rfs><user/>${service}</service></safe>`;
  try {
    for (const n of ['n1', 'n2'] as const) {
      if (!images) { lab.bindDir(n, backing[n], data); continue; }
      const img = join(dir, `${n}.img`);
      fs.writeFileSync(img, '');
      fs.truncateSync(img, 128 * 1024 * 1024);
      const mkfs = spawnSync('mkfs.ext4', ['-q', '-F', img], { encoding: 'utf8' });
      assert.equal(mkfs.status, 0, mkfs.stderr);
      fs.mkdirSync(data, { recursive: true });
      const m = lab.run(n, ['mount', '-o', 'loop', img, data]);
      assert.equal(m.status, 0, `loop mount of ${img} on ${n}: ${m.stderr}`);
    }
    prepare(backing);
    const m = await mirrorLab(lab, dir, net, MODULE, `${net}.1`);
    const tail = (node: string) => m.log(node).split('\n').slice(-12).join('\n');
    const r: ReplicationLab = {
      ...m, lab, dir, data, backing,
      tandem: (node, ...args) => {
        const x = lab.tandem(node, ...args);
        assert.equal(x.status, 0, `${node}: tandem ${args.join(' ')}: ${x.stderr}`);
      },
      sh: (node, script) => {
        const x = lab.run(node, ['sh', '-c', script]);
        assert.equal(x.status, 0, `${node}: ${script}: ${x.stderr}`);
        return x.stdout;
      },
      synced: (secondary, ms = 40_000) => until(`${secondary} SECOND and up to date`, () =>
        m.state(secondary) === 'SECOND' && m.state(secondary === 'n1' ? 'n2' : 'n1') === 'PRIM'
        && lab.tandem(secondary, 'get', '-m', 'app', '-r', 'rfs.uptodate').stdout.trim() === 'up', ms, 200)
        .catch((e: Error) => { throw new Error(`${e.message}\n--- n1\n${tail('n1')}\n--- n2\n${tail('n2')}`); }),
      pair: async () => {
        r.tandem('n1', 'start', '-m', 'app');
        await until('n1 waits (data not known up to date)', () => m.state('n1') === 'WAIT', 20_000, 200);
        r.tandem('n1', 'prim', '-m', 'app');
        await until('n1 alone', () => m.state('n1') === 'ALONE', 20_000, 200);
        r.tandem('n2', 'second', '-m', 'app'); // never synchronised either: an operator says which copy is the secondary
        await r.synced('n2');
      },
    };
    return r;
  } catch (e) {
    lab.teardown();
    throw e;
  }
}
