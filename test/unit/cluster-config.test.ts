// tandem cluster config / confcheck / confinfo / deconfig on one node: applying installs the file
// and a new key; invalid files and a lock change nothing; confinfo shows the signature.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runTandem } from '../helpers.js';

const tandem = (root: string, ...args: string[]) => runTandem(['--root', root, ...args]);

test('a cluster zip carries cluster.xml, the key and the CA to another node; a bad zip changes nothing', () => {
  const base = mkdtempSync(join(tmpdir(), 'cluster-zip-'));
  try {
    const [a, b] = [join(base, 'a'), join(base, 'b')];
    const xml = join(base, 'c.xml');
    writeFileSync(xml, '<cluster><lans><lan name="default"><node name="n1" addr="10.0.0.1"/><node name="n2" addr="10.0.0.2"/></lan></lans></cluster>');
    assert.equal(tandem(a, 'cluster', 'config', xml).status, 0);
    const zip = join(base, 'cluster.zip');
    assert.equal(tandem(a, 'cluster', 'package', 'relative.zip').status, 2);
    assert.equal(tandem(a, 'cluster', 'package', zip).status, 0);
    assert.equal(statSync(zip).mode & 0o777, 0o600, 'the zip holds secrets');
    const bad = join(base, 'bad.zip');
    writeFileSync(bad, 'not a zip');
    const refused = tandem(b, 'cluster', 'config', bad);
    assert.equal(refused.status, 2);
    assert.match(refused.stderr, /bad\.zip is not a valid cluster zip/);
    assert.equal(existsSync(join(b, 'etc/tandem/cluster.xml')), false, 'nothing applied');
    const applied = tandem(b, '--json', 'cluster', 'config', zip);
    assert.equal(applied.status, 0, applied.stdout);
    assert.equal(JSON.parse(applied.stdout).keysFrom, 'zip');
    for (const f of ['cluster.xml', 'cluster.key', 'ca/ca.crt', 'ca/ca.key']) {
      assert.equal(readFileSync(join(b, 'etc/tandem', f), 'utf8'), readFileSync(join(a, 'etc/tandem', f), 'utf8'), f);
    }
    assert.equal(statSync(join(b, 'etc/tandem/ca/ca.key')).mode & 0o777, 0o600);
  } finally {
    rmSync(base, { recursive: true, force: true });
  }
});

test('cluster config applies a valid file with a new key; lock, confinfo, deconfig', () => {
  const root = mkdtempSync(join(tmpdir(), 'cluster-'));
  try {
    const good = join(root, 'good.xml');
    const bad = join(root, 'bad.xml');
    writeFileSync(good, '<cluster><lans><lan name="default"><node name="n1" addr="10.0.0.1"/><node name="n2" addr="10.0.0.2"/></lan></lans></cluster>');
    writeFileSync(bad, '<cluster><lans><lan name="default"><node name="n1" addr="10.0.0.1"/></lan></lans></cluster>');

    assert.equal(tandem(root, 'cluster', 'confcheck', good).status, 0);
    const c = tandem(root, 'cluster', 'confcheck', bad);
    assert.equal(c.status, 2);
    assert.match(c.stdout, /bad\.xml:1:\d+: error: lan "default" has 1 node\(s\)/);

    const applied = tandem(root, '--json', 'cluster', 'config', good);
    assert.equal(applied.status, 0, applied.stderr);
    const doc = JSON.parse(applied.stdout);
    assert.deepEqual(doc.nodes, ['n1', 'n2']);
    const etc = join(root, 'etc/tandem');
    assert.equal(readFileSync(join(etc, 'cluster.xml'), 'utf8'), readFileSync(good, 'utf8'));
    assert.equal(statSync(join(etc, 'cluster.key')).mode & 0o777, 0o600);
    const key1 = readFileSync(join(etc, 'cluster.key'), 'utf8');

    // an invalid file changes nothing
    assert.equal(tandem(root, 'cluster', 'config', bad).status, 2);
    assert.equal(readFileSync(join(etc, 'cluster.key'), 'utf8'), key1);

    // locked: refused with the way out
    assert.equal(tandem(root, 'cluster', 'config', 'lock').status, 0);
    const locked = tandem(root, 'cluster', 'config', good);
    assert.equal(locked.status, 1);
    assert.match(locked.stderr, /the cluster configuration is locked .*\n {2}run "tandem cluster config unlock" first/);
    const info = JSON.parse(tandem(root, '--json', 'cluster', 'confinfo').stdout);
    assert.equal(info.signature, doc.signature);
    assert.equal(info.lock, true);
    assert.equal(tandem(root, 'cluster', 'deconfig').status, 1, 'deconfig refused while locked');

    assert.equal(tandem(root, 'cluster', 'config', 'unlock').status, 0);
    assert.equal(tandem(root, 'cluster', 'config', good).status, 0);
    assert.notEqual(readFileSync(join(etc, 'cluster.key'), 'utf8'), key1, 'applying an .xml creates a new key');
    assert.equal(tandem(root, 'cluster', 'deconfig').status, 0);
    assert.equal(existsSync(join(etc, 'cluster.xml')), false);
    assert.equal(tandem(root, 'cluster', 'confinfo').status, 1);
    assert.equal(tandem(root, 'cluster', 'config', 'x.zip').status, 2, 'a missing zip is invalid input');
    // every state-changing command is in the command log with its caller and exit code
    const cmdlog = tandem(root, 'cmdlog').stdout;
    assert.match(cmdlog, /\| tandem \| {2}\| \d+ \| START \| cluster config .*good\.xml -u \S+\n.*\| END \| 0/);
    assert.match(cmdlog, /START \| cluster config .*bad\.xml -u \S+\n.*\| END \| 2/);
    assert.equal(tandem(root, 'cluster', 'genkey').status, 0);
    assert.match(tandem(root, 'cmdlog').stdout, /START \| cluster genkey -u \S+\n.*\| END \| 0/);
  } finally { rmSync(root, { recursive: true, force: true }); }
});
