// Heartbeats that arrive seconds late, oldest first, as a link that comes back delivers them: the
// CI failure of 2026-12-04 (decision 0015), made on demand. The primary n1 is cut off by blocking
// ARP in its namespace with nftables after its neighbour entries are flushed (and n2's entry for
// it): its packets to n2 then wait in the kernel's neighbour queue instead of leaving, and the
// witness (n3) cannot be asked. n1 leaves for WAIT; n2 reaches the witness and goes ALONE. When ARP
// is allowed again the queue empties: n2 first receives the heartbeats n1 sent as PRIM Ready
// seconds ago. It must not take them for a split brain and give up: it stays, becomes PRIM, and n1
// joins as SECOND.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { mirrorLab, witnessLabSkip, witnessModule } from '../lab-mirror.js';
import { Lab } from '../../src/lab/lab.js';

const skip = witnessLabSkip() || (spawnSync('nft', ['--version']).error ? 'needs nft (nftables)' : false);
const NET = '10.73.0';
const MODULE = witnessModule(NET);

test('mirror: late heartbeats of a cut-off primary, delivered oldest first, do not make the survivor give up', { skip, timeout: 120_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'lab-late-'));
  const lab = new Lab(dir, 3, NET);
  const run = (node: string, argv: string[]) => {
    const r = lab.run(node, argv);
    assert.equal(r.status, 0, `${node}: ${argv.join(' ')}: ${r.stderr}`);
  };
  try {
    const { state, log, waitStates } = await mirrorLab(lab, dir, NET, MODULE, `${NET}.100`);
    assert.equal(lab.tandem('n1', 'start', '-m', 'app').status, 0);
    await waitStates('n1 alone', 'ALONE', 'STOP');
    assert.equal(lab.tandem('n2', 'start', '-m', 'app').status, 0);
    await waitStates('n1 PRIM, n2 SECOND', 'PRIM', 'SECOND');

    // n1 keeps resolving for long (20 probes) instead of giving its queue up after 3 s
    run('n1', ['sysctl', '-q', '-w', 'net.ipv4.neigh.eth0.mcast_solicit=20']);
    run('n1', ['nft', 'add table arp late; add chain arp late in { type filter hook input priority 0; policy drop; }; add chain arp late out { type filter hook output priority 0; policy drop; }']);
    run('n1', ['ip', 'neigh', 'flush', 'all']);
    run('n2', ['ip', 'neigh', 'flush', 'to', `${NET}.1`]);
    await waitStates('the witness arbitrates: n1 WAIT, n2 ALONE', 'WAIT', 'ALONE', 20_000);
    const cutAt = log('n2').length;
    run('n1', ['nft', 'delete table arp late']);
    await waitStates('healed: n2 PRIM, n1 SECOND', 'SECOND', 'PRIM', 30_000);
    const after = log('n2').slice(cutAt);
    // n1 never is PRIM again: a PRIM heartbeat of n1 after the cut is a late one
    assert.match(after, /Remote state PRIM (Ready|Transient)/, `n2 received the late heartbeats of n1 as PRIM (the reproduction worked):\n${after}`);
    assert.doesNotMatch(after, /Split brain recovery: exiting alone/);
    assert.equal(state('n2'), 'PRIM');
  } finally {
    lab.teardown();
  }
});
