// The FUSE layer on the real /dev/fuse, mounted over a directory on top of itself (as a replicated
// directory will be): what applications do — append, create, mkdir, rename over a file and of a
// directory, unlink of an open file, symlinks, chmod/chown/utimes, truncate, 1 MiB writes, a
// directory of 2 000 entries — behaves as on the disk, every change is in the directory underneath
// after the unmount, hard links are refused, and the mutation stream (the replication seam) lists
// the changes in the order they were made — applied as they happen to a second directory
// (src/replication/apply.ts), it leaves that copy identical to the original.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { until } from '../helpers.js';
import { serve, type Served } from '../fuse-serve.js';
import { treeOf } from '../tree.js';

const skip = process.getuid?.() !== 0 ? 'mounts a FUSE file system: needs root'
  : !fs.existsSync('/dev/fuse') ? 'needs /dev/fuse' : false;

test('FUSE passthrough over its own directory: POSIX behaviour, data underneath, ordered mutations', { skip, timeout: 60_000 }, async () => {
  const dir = fs.mkdtempSync(join(tmpdir(), 'fuse-'));
  const copy = fs.mkdtempSync(join(tmpdir(), 'fuse-copy-'));
  for (const d of [dir, copy]) fs.writeFileSync(join(d, 'before.txt'), 'written before the mount\n'); // as after a first full sync
  let served: Served | null = null;
  try {
    served = await serve([dir, '--trace', '--copy', copy]);
    const { child: server, exited } = served;
    assert.match(fs.readFileSync('/proc/mounts', 'utf8'), new RegExp(`^tandem ${dir} fuse `, 'm'));
    // the application's side runs in a process of its own, killed if it ever blocks
    const workload = spawnSync(process.execPath, ['dist/test/system/fuse-workload.js', dir], { encoding: 'utf8', timeout: 30_000 });
    assert.equal(workload.status, 0, `the workload failed or hung: ${workload.stderr}${workload.signal ?? ''}`);
    const { bigLength } = JSON.parse(workload.stdout) as { bigLength: number };
    await until('the refusal is logged', () => /hard link to before\.txt refused/.test(served!.err()), 5_000);
    const p = (name: string) => join(dir, name);

    server.kill('SIGTERM');
    await exited;
    assert.doesNotMatch(fs.readFileSync('/proc/mounts', 'utf8'), new RegExp(` ${dir} `), 'unmounted');
    // every change is in the directory underneath
    assert.equal(fs.readFileSync(p('before.txt'), 'utf8'), 'written before the mount\nappended\n');
    assert.equal(fs.statSync(p('big.bin')).size, 1000);
    assert.deepEqual(fs.readdirSync(p('e')), []);
    assert.equal(fs.readdirSync(p('many')).length, 2000);
    assert.equal(fs.readFileSync(p('log'), 'utf8'), 'a\nb\n');

    // the mutation stream, in order (the seam replication reads)
    const ops = served.out().split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as { op: string; path?: string; from?: string; to?: string });
    const brief = ops.map((m) => `${m.op} ${m.path ?? `${m.from}>${m.to}`}`);
    const order = ['write before.txt', 'create big.bin', 'mkdir d', 'create d/one', 'rename d/one>d/two', 'rename d>e', 'unlink e/two', 'symlink link', 'chmod big.bin', 'chown big.bin', 'truncate big.bin', 'utimens big.bin', 'mkdir many', 'create log', 'fsync log', 'fallocate db', 'rename app.log>app.log.1', 'unlink reused', 'setxattr tagged', 'removexattr tagged'];
    let at = -1;
    for (const want of order) {
      const i = brief.indexOf(want, at + 1);
      assert.ok(i > at, `"${want}" comes after what precedes it in ${JSON.stringify(brief.filter((b) => !b.startsWith('create many') && !b.startsWith('write big')).slice(0, 40))}`);
      at = i;
    }
    // the copy the stream was applied to is the same tree
    assert.deepEqual(treeOf(copy), treeOf(dir));
    assert.doesNotMatch(served.err(), /copy: /, 'every mutation applied to the copy');
    for (const tree of [dir, copy]) {
      const attrs = spawnSync('getfattr', ['-d', '-m', '-', join(tree, 'tagged')], { encoding: 'utf8' }).stdout;
      assert.match(attrs, /user\.colour="blue"/, `${tree}: ${attrs}`);
      assert.match(attrs, /system\.posix_acl_access/);
      assert.doesNotMatch(attrs, /user\.bytes/);
    }
    // the file's times reach the copy when it is released: the kernel asks FLUSH once, is told it
    // is not needed, and close(2) then costs no request (a round trip saved per file written)
    for (const name of ['before.txt', 'log', 'big.bin']) {
      assert.equal(Math.floor(fs.statSync(join(copy, name)).mtimeMs), Math.floor(fs.statSync(p(name)).mtimeMs), `${name}: the copy has the original's modification time`);
    }
    const requests = JSON.parse(/requests: (\{.*\})/.exec(served.err())?.[1] ?? '{}') as Record<string, number>;
    assert.ok((requests.RELEASE ?? 0) > 2000 && (requests.FLUSH ?? 0) <= 1, `one FLUSH at most, for thousands of closes: ${JSON.stringify(requests)}`);
    const written = ops.filter((m) => m.op === 'write' && m.path === 'big.bin') as unknown as { data: number }[];
    assert.equal(written.reduce((n, w) => n + w.data, 0), bigLength, 'every byte written is in the stream');
  } finally {
    if (served?.child.exitCode === null) served.child.kill('SIGKILL');
    spawnSync('umount', ['-l', dir]);
    fs.rmSync(dir, { recursive: true, force: true });
    fs.rmSync(copy, { recursive: true, force: true });
  }
});
