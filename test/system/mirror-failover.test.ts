// A 2-node mirror (no replication) with a virtual IP, in a lab of network namespaces, seen from a
// client namespace (SAFEKIT-BEHAVIOUR §12): the first node alone, the second joins as SECOND; the
// client reaches the application through the VIP on the primary; swap; stop of the primary; rejoin;
// restart; stopstart; prim refused on a secondary; a partition (both alone) and its heal (the former
// primary stays); a crash of every process of the primary node moves the VIP and the application
// to the other node; a node with another module key is refused with the reason.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { until } from '../helpers.js';
import { mirrorLab } from '../lab-mirror.js';
import { Lab, labUnavailable } from '../../src/lab/lab.js';

const skip = labUnavailable() || (process.getuid?.() === 0 && !hasArping() ? 'needs arping (iputils-arping)' : false);

function hasArping(): boolean {
  return !spawnSync('arping', ['-V']).error;
}

const MODULE = `<safe><service mode="mirror"><heart pulse="100ms" timeout="1s"><heartbeat name="default"/></heart>
  <vip><interface_list><interface><real_interface><virtual_addr addr="10.79.0.100" where="one_side_alias" netmask="255.255.255.0"/></real_interface></interface></interface_list></vip>
  <user/></service></safe>`;

test('mirror with a VIP in namespaces: start, join, swap, stop, restart, stopstart, partition, crash, wrong key', { skip, timeout: 120_000 }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'lab-mirror-'));
  const lab = new Lab(dir, 3, '10.79.0');
  try {
    const { state, ask: askHost, startDaemon, waitStates } = await mirrorLab(lab, dir, '10.79.0', MODULE, '10.79.0.100');
    const ask = () => askHost('10.79.0.100');

    assert.equal(lab.tandem('n1', 'start', '-m', 'app').status, 0);
    await until('n1 alone', () => state('n1') === 'ALONE', 20_000, 200).catch((e: Error) => { throw new Error(`${e.message}\n${lab.tandem('n1', 'log', '-m', 'app', '-A').stdout}`); });
    await until('the client reaches n1 through the VIP', () => ask() === 'n1', 10_000, 200);
    assert.equal(lab.tandem('n2', 'start', '-m', 'app').status, 0);
    await waitStates('n1 PRIM, n2 SECOND', 'PRIM', 'SECOND', 20_000);
    assert.match(lab.run('n1', ['ip', '-o', 'addr', 'show', 'dev', 'eth0']).stdout, /10\.79\.0\.100\/24 .*eth0:app/);
    assert.doesNotMatch(lab.run('n2', ['ip', '-o', 'addr', 'show', 'dev', 'eth0']).stdout, /10\.79\.0\.100/);

    // swap: the roles exchange and the VIP follows; stop of the primary: the secondary goes alone;
    // the stopped node starts again as secondary
    assert.equal(lab.tandem('n1', 'swap', '-m', 'app').status, 0);
    await waitStates('swapped', 'SECOND', 'PRIM');
    await until('the client follows the VIP to n2', () => ask() === 'n2', 10_000, 200);
    assert.equal(lab.tandem('n2', 'stop', '-m', 'app').status, 0);
    await waitStates('n1 alone after the stop of n2', 'ALONE', 'STOP');
    await until('the client is back on n1', () => ask() === 'n1', 10_000, 200);
    assert.equal(lab.tandem('n2', 'start', '-m', 'app').status, 0);
    await waitStates('n2 rejoins as secondary', 'PRIM', 'SECOND');
    // restart: only the application scripts run again on the primary, no failover
    const appPid = () => lab.run('n1', ['cat', join(lab.node('n1').root, 'var/lib/tandem/modules/app/app.pid')]).stdout.trim();
    const before = appPid();
    assert.equal(lab.tandem('n1', 'restart', '-m', 'app').status, 0);
    await until('the application restarted on n1', () => appPid() !== '' && appPid() !== before && state('n1') === 'PRIM', 30_000, 200);
    assert.equal(state('n2'), 'SECOND');
    await until('the client is served by n1 again', () => ask() === 'n1', 10_000, 200);
    // stopstart of the primary: it fails over, then comes back as secondary
    assert.equal(lab.tandem('n1', 'stopstart', '-m', 'app').status, 0);
    await waitStates('n2 primary, n1 secondary', 'SECOND', 'PRIM');
    await until('the client follows to n2', () => ask() === 'n2', 10_000, 200);
    assert.equal(lab.tandem('n1', 'swap', '-m', 'app').status, 0);
    await waitStates('swapped back', 'PRIM', 'SECOND');
    const bad = lab.tandem('n2', 'prim', '-m', 'app');
    assert.equal(bad.status, 1, 'prim on a running secondary is refused');
    assert.match(bad.stderr, /prim/);

    // partition: n2 cut off the network. Without a witness both run alone (SafeKit's split brain);
    // when the network heals, the former primary stays and the other becomes secondary again
    lab.link('n2', false);
    await until('n2 alone behind the partition', () => state('n2') === 'ALONE', 20_000, 200);
    assert.equal(state('n1'), 'ALONE');
    lab.link('n2', true);
    await waitStates('healed: n1 primary, n2 secondary', 'PRIM', 'SECOND');
    assert.doesNotMatch(lab.run('n2', ['ip', '-o', 'addr', 'show', 'dev', 'eth0']).stdout, /10\.79\.0\.100/, 'the loser gave the VIP up');
    await until('the client is served by n1', () => ask() === 'n1', 10_000, 200);

    const crashedAt = Date.now();
    assert.ok(lab.crash('n1') >= 2, 'tandemd, the module process and the application were killed');
    await until('n2 alone', () => state('n2') === 'ALONE', 10_000, 100);
    await until('the client reaches n2 through the VIP', () => ask() === 'n2', 10_000, 100);
    const tookMs = Date.now() - crashedAt;
    t.diagnostic(`crash of the primary node → client served by the other node through the VIP: ${tookMs} ms (heartbeat timeout 1 s, polled every 100 ms)`);
    assert.ok(tookMs < 6000, `failover took ${tookMs} ms with a 1 s heartbeat timeout`);
    assert.match(lab.tandem('n2', 'log', '-m', 'app').stdout, /Virtual IP 10\.79\.0\.100 set/);

    // n1 comes back with another module key: its heartbeats are refused, with the reason, and counted
    startDaemon('n1');
    await until('n1 daemon', () => lab.tandem('n1', 'state', '-m', 'app').status === 0, 20_000, 200);
    assert.equal(lab.tandem('n1', 'module', 'genkey', '-m', 'app').status, 0);
    assert.equal(lab.tandem('n1', 'config', '-m', 'app').status, 0);
    await until('n1 reloaded', () => lab.tandem('n1', 'state', '-m', 'app').status === 0, 20_000, 200);
    assert.equal(lab.tandem('n1', 'start', '-m', 'app').status, 0);
    await until('n2 refuses n1 with the reason', () => /Heartbeat default from 10\.79\.0\.1 dropped: sealed with another module key/.test(lab.tandem('n2', 'log', '-m', 'app').stdout), 20_000, 300);
    assert.ok(Number(lab.tandem('n2', 'get', '-m', 'app', '-r', 'heartbeat.rejected').stdout) > 0);
    assert.equal(state('n2'), 'ALONE', 'n2 never took n1 as its peer');
  } finally {
    lab.teardown();
  }
});
