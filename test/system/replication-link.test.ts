// Synchronous replication on one machine, for real: a FUSE mount over a directory sends every
// change over TLS 1.3 (certificates from a cluster CA made here) to a ReplicaServer that applies it
// to another directory and acknowledges it; the application's requests are answered only after
// that. After the workload the copy is the same tree as the original, and every acknowledged frame
// was applied. A server that expects another primary refuses the connection, with the reason.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { serve, type Served } from '../fuse-serve.js';
import { treeOf } from '../tree.js';
import { caDir, createClusterCa, nodeCredentials } from '../../src/daemon/pki.js';
import { CopyApplier } from '../../src/replication/apply.js';
import { ReplicaServer } from '../../src/replication/link.js';

const skip = process.getuid?.() !== 0 ? 'mounts a FUSE file system: needs root'
  : !fs.existsSync('/dev/fuse') ? 'needs /dev/fuse' : false;

/** A replica of one directory that asks for no resync: what serve.js --replicate expects. */
const copyOf = (dir: string) => ({
  copies: [new CopyApplier(dir)], hello: () => ({ t: 'hello' as const, generation: '', mode: 'none' as const, unclean: false }),
  manifest: () => Promise.resolve(), onSynced: () => undefined, onLost: () => undefined,
});

/** Runs a command without blocking this process (the replica server here must keep answering). */
function run(argv: string[], timeoutMs: number): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve) => {
    const child = spawn(argv[0], argv.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout!.on('data', (c: Buffer) => { out += c.toString(); });
    child.stderr!.on('data', (c: Buffer) => { err += c.toString(); });
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('exit', (code) => { clearTimeout(timer); resolve({ code, out, err }); });
  });
}

test('replication over TLS: every change applied on the copy before the application gets its answer', { skip, timeout: 90_000 }, async () => {
  const base = fs.mkdtempSync(join(tmpdir(), 'repl-'));
  const [dir, copy, etc1, etc2] = ['primary', 'copy', 'etc1', 'etc2'].map((d) => join(base, d));
  for (const d of [dir, copy, etc1, etc2]) fs.mkdirSync(d);
  createClusterCa(etc1);
  fs.cpSync(caDir(etc1), caDir(etc2), { recursive: true });
  for (const d of [dir, copy]) fs.writeFileSync(join(d, 'before.txt'), 'written before the mount\n');
  const logs: string[] = [];
  const replica = new ReplicaServer({ credentials: nodeCredentials(etc2, 'n2'), primary: 'n1', ...copyOf(copy), log: (t) => logs.push(t) });
  const port = 47000 + Math.floor(Math.random() * 1000);
  await replica.listen('127.0.0.1', port);
  let served: Served | null = null;
  try {
    served = await serve([dir, '--replicate', `127.0.0.1:${port}`, '--etc', etc1, '--node', 'n1', '--peer', 'n2']);
    const { child: server, exited } = served;
    const workload = await run([process.execPath, 'dist/test/system/fuse-workload.js', dir], 60_000);
    assert.equal(workload.code, 0, `the workload failed or hung: ${workload.err}`);
    // synchronous: what the application was told is done is already on the copy
    assert.equal(fs.readFileSync(join(copy, 'log'), 'utf8'), 'a\nb\n');
    assert.equal(fs.readdirSync(join(copy, 'many')).length, 2000);
    server.kill('SIGTERM');
    await exited;
    assert.deepEqual(treeOf(copy), treeOf(dir));
    assert.ok(replica.applied > 2000n, `frames applied: ${replica.applied} (the workload makes 2 000 files alone)`);
    assert.doesNotMatch(served.err(), /replication lost/);
    assert.equal(logs.length, 0, logs.join('; '));

    // a replica that expects another primary refuses n1's certificate, and says why
    const strict = new ReplicaServer({ credentials: nodeCredentials(etc2, 'n2'), primary: 'n3', ...copyOf(copy), log: (t) => logs.push(t) });
    await strict.listen('127.0.0.1', port + 1);
    const refused = await run([process.execPath, 'dist/src/fuse/serve.js', dir, '--replicate', `127.0.0.1:${port + 1}`, '--etc', etc1, '--node', 'n1', '--peer', 'n2'], 15_000);
    await strict.close();
    assert.match(logs.join('\n'), /refused: its certificate names n1, not the primary n3/);
    assert.equal(refused.code, 1, 'the primary side gives up before mounting');
    assert.match(refused.err, /closed the connection before accepting this node/);
    assert.doesNotMatch(fs.readFileSync('/proc/mounts', 'utf8'), new RegExp(` ${dir} `), 'nothing stays mounted');
  } finally {
    if (served?.child.exitCode === null) served.child.kill('SIGKILL');
    spawnSync('umount', ['-l', dir]);
    await replica.close();
    fs.rmSync(base, { recursive: true, force: true });
  }
});
