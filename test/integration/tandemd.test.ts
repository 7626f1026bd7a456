// Two tandemd processes on loopback addresses form a cluster; `tandem cluster state` reads it
// through the local socket; a stopped daemon is seen down and its socket is gone.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runTandem, until } from '../helpers.js';

const tandem = (root: string, ...args: string[]) => runTandem(['--root', root, ...args]);


test('two daemons see each other; cluster state works through the socket; a stopped one goes down', async () => {
  const base = mkdtempSync(join(tmpdir(), 'tandemd-'));
  const port = String(42000 + Math.floor(Math.random() * 10000));
  const roots = { n1: join(base, 'n1'), n2: join(base, 'n2') };
  const daemons: Record<string, ChildProcess> = {};
  try {
    for (const root of Object.values(roots)) {
      mkdirSync(join(root, 'etc/tandem'), { recursive: true });
      writeFileSync(join(root, 'etc/tandem/cluster.xml'), `<cluster><lans pulse="50" slost_count="6"><lan name="default">
        <node name="n1" addr="127.0.0.21"/><node name="n2" addr="127.0.0.22"/></lan></lans></cluster>`);
    }
    assert.equal(tandem(roots.n1, 'cluster', 'genkey').status, 0);
    copyFileSync(join(roots.n1, 'etc/tandem/cluster.key'), join(roots.n2, 'etc/tandem/cluster.key'));
    assert.equal(tandem(roots.n1, 'cluster', 'state').status, 3, 'no daemon yet: exit 3');
    for (const [name, root] of Object.entries(roots)) {
      daemons[name] = spawn(process.execPath, ['dist/src/daemon/tandemd.js', '--root', root, '--node', name, '--port', port], { stdio: ['ignore', 'ignore', 'pipe'] });
    }
    const state = (root: string) => {
      const r = tandem(root, '--json', 'cluster', 'state');
      return r.status === 0 ? (JSON.parse(r.stdout) as { nodes: { name: string; state: string }[] }).nodes.map((n) => `${n.name}:${n.state}`).join(' ') : `exit ${r.status}`;
    };
    await until('n1 sees n2 up', () => state(roots.n1) === 'n1:self n2:up');
    assert.equal(state(roots.n2), 'n1:up n2:self');
    assert.match(tandem(roots.n1, 'cluster', 'state').stdout, /n2\s+up/);
    assert.match(tandem(roots.n1, 'cmdlog').stdout, /\| cluster \| {2}\| \d+ \| I \| Node n2 is up \(lan default\)/);

    daemons.n2.kill('SIGTERM');
    await new Promise((r) => daemons.n2.on('exit', r));
    assert.equal(existsSync(join(roots.n2, 'run/tandem/tandemd.sock')), false, 'the socket is removed on a clean stop');
    await until('n1 sees n2 down', () => state(roots.n1) === 'n1:self n2:down');
  } finally {
    for (const d of Object.values(daemons)) d.kill('SIGKILL');
    rmSync(base, { recursive: true, force: true });
  }
});

test('tandemd refuses to start without a cluster configuration or key, saying what to do', () => {
  const root = mkdtempSync(join(tmpdir(), 'tandemd-'));
  try {
    const r = spawnSync(process.execPath, ['dist/src/daemon/tandemd.js', '--root', root, '--node', 'n1'], { encoding: 'utf8' });
    assert.equal(r.status, 2);
    assert.match(r.stderr, /no cluster configuration at .*cluster\.xml\n {2}apply one with "tandem cluster config cluster\.xml"/);
    mkdirSync(join(root, 'etc/tandem'), { recursive: true });
    writeFileSync(join(root, 'etc/tandem/cluster.xml'), '<cluster><lans><lan name="a"><node name="n1" addr="127.0.0.31"/><node name="n2" addr="127.0.0.32"/></lan></lans></cluster>');
    const k = spawnSync(process.execPath, ['dist/src/daemon/tandemd.js', '--root', root, '--node', 'n1'], { encoding: 'utf8' });
    assert.match(k.stderr, /no cluster key at .*cluster\.key\n {2}create one with "tandem cluster genkey"/);
    const n = spawnSync(process.execPath, ['dist/src/daemon/tandemd.js', '--root', root, '--node', 'n7'], { encoding: 'utf8' });
    assert.match(n.stderr, /this node "n7" is not in .*cluster\.xml \(nodes: n1, n2\)/);
  } finally { rmSync(root, { recursive: true, force: true }); }
});
