// SAFEKIT-BEHAVIOUR §12 cases of a 2-node mirror in the namespace lab, with the fast timing
// profile: the OS shutdown path (SIGTERM of tandemd) on the primary with failover off on the
// secondary (it must not take over; `stop` + `prim` starts it by hand); errd off persisted across
// stop/start; and a partition of the primary with a split-brain witness (the client namespace):
// the cut-off primary cannot reach the witness and leaves PRIM for WAIT, giving up the VIP; the
// other node reaches it and goes ALONE; when the network heals, the WAIT node rejoins as SECOND.
// Last, a node applying a configuration the other does not have is named in the other's log.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { until } from '../helpers.js';
import { mirrorLab, witnessLabSkip, witnessModule } from '../lab-mirror.js';
import { Lab } from '../../src/lab/lab.js';

const skip = witnessLabSkip();
const NET = '10.76.0';
const VIP = `${NET}.100`;
const MODULE = witnessModule(NET);

test('mirror in namespaces: OS shutdown with failover off, errd off persisted, partition arbitrated by a witness', { skip, timeout: 150_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'lab-checkers-'));
  const lab = new Lab(dir, 3, NET);
  try {
    const { state, log, ask, holdsAddress, startDaemon, daemons, waitStates } = await mirrorLab(lab, dir, NET, MODULE, VIP);
    const holdsVip = (n: string) => holdsAddress(n, VIP);

    assert.equal(lab.tandem('n1', 'start', '-m', 'app').status, 0);
    await waitStates('n1 alone', 'ALONE', 'STOP');
    assert.equal(lab.tandem('n2', 'start', '-m', 'app').status, 0);
    await waitStates('n1 PRIM, n2 SECOND', 'PRIM', 'SECOND');
    await until('the client reaches n1', () => ask(VIP) === 'n1', 10_000, 200);

    // failover off on the secondary, then the OS shutdown path on the primary: n2 must not take over
    assert.equal(lab.tandem('n2', 'failover', 'off', '-m', 'app').status, 0);
    const d1 = daemons.n1;
    const exited = new Promise((r) => d1.once('exit', r));
    d1.kill('SIGTERM');
    await exited;
    assert.match(log('n1'), /Action shutdown called by SYSTEM\/root/);
    assert.ok(!holdsVip('n1'), 'the shut-down primary gave the VIP up');
    await until('n2 held by failover off', () => /Failover-off configured/.test(log('n2')) && state('n2') === 'WAIT', 20_000, 200);
    assert.ok(!holdsVip('n2'), 'with failover off the secondary does not take the VIP');
    // the operator decides: stop + prim on n2 makes it primary by hand
    assert.equal(lab.tandem('n2', 'stop', '-m', 'app').status, 0);
    assert.equal(lab.tandem('n2', 'prim', '-m', 'app').status, 0);
    await until('n2 alone by hand', () => state('n2') === 'ALONE', 20_000, 200);
    await until('the client reaches n2', () => ask(VIP) === 'n2', 10_000, 200);
    assert.equal(lab.tandem('n2', 'failover', 'on', '-m', 'app').status, 0);

    // n1 returns; errd off there survives its stop and start
    startDaemon('n1');
    await until('n1 daemon answers', () => lab.tandem('n1', 'state', '-m', 'app').status === 0, 20_000, 200);
    assert.equal(lab.tandem('n1', 'errd', 'off', '-m', 'app').status, 0);
    assert.equal(lab.tandem('n1', 'start', '-m', 'app').status, 0);
    await waitStates('n1 joins as SECOND', 'SECOND', 'PRIM');
    assert.equal(lab.tandem('n1', 'stop', '-m', 'app').status, 0);
    assert.equal(lab.tandem('n1', 'start', '-m', 'app').status, 0);
    await waitStates('n1 SECOND again', 'SECOND', 'PRIM');
    assert.equal(lab.tandem('n1', 'get', '-m', 'app', '-r', 'usersetting.errd').stdout.trim(), 'off', 'errd off persisted across stop/start');

    // partition of the primary (n2): it cannot reach the witness and leaves PRIM; n1 can and goes alone
    lab.link('n2', false);
    await waitStates('the witness arbitrates: n1 ALONE, n2 WAIT', 'ALONE', 'WAIT', 20_000);
    assert.match(log('n1'), /Witness 10\.76\.0\.3 answered: this node may go alone/);
    assert.match(log('n2'), /No witness answered \(10\.76\.0\.3\): this node must not go alone/);
    assert.match(log('n2'), /Action wait from failover rule splitbrain_failure/);
    await until('n2 gave the VIP up', () => !holdsVip('n2'), 10_000, 200);
    await until('the client reaches n1', () => ask(VIP) === 'n1', 10_000, 200);
    lab.link('n2', true);
    await waitStates('healed: n2 rejoins as SECOND', 'PRIM', 'SECOND');
    assert.match(log('n2'), /Resource splitbrain\.uptodate set to up by heart/);

    // the same configuration on both (-E): no warning; n1 applies an edited one: both are told
    assert.doesNotMatch(log('n2'), /runs another configuration/);
    assert.equal(lab.tandem('n1', 'stop', '-m', 'app').status, 0);
    const editable = join(lab.node('n1').root, 'etc/tandem/modules/app/conf/userconfig.xml');
    writeFileSync(editable, `<!-- edited on n1 only -->\n${readFileSync(editable, 'utf8')}`);
    const reapplied = lab.tandem('n1', 'config', '-m', 'app');
    assert.equal(reapplied.status, 0, reapplied.stderr);
    await until('n1 module process back', () => lab.tandem('n1', 'state', '-m', 'app').status === 0, 20_000, 200);
    assert.equal(lab.tandem('n1', 'start', '-m', 'app').status, 0);
    await until('n2 warns that n1 runs another configuration', () => /Heartbeat default: n1 runs another configuration of app \(signature \S+, here \S+\)/.test(log('n2')), 20_000, 200);
  } finally {
    lab.teardown();
  }
});
