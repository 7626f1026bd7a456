// Cluster membership over real UDP on loopback addresses (127.0.0.0/8 needs no namespace): nodes
// sealed with the cluster key see each other; a stopped node is seen down; a node with another
// cluster key is refused with a clear log line and never counted up.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseClusterXml } from '../../src/config/cluster.js';
import { MembershipService } from '../../src/daemon/membership-service.js';
import { until } from '../helpers.js';

const xml = `<cluster><lans pulse="50" slost_count="4">
  <lan name="default"><node name="n1" addr="127.0.0.11"/><node name="n2" addr="127.0.0.12"/><node name="n3" addr="127.0.0.13"/></lan>
</lans></cluster>`;
const cluster = parseClusterXml(xml, 'cluster.xml').config!;
const key = Buffer.alloc(32, 1);


test('three nodes with one cluster key see each other; a stopped node goes down; another key is refused', async () => {
  const port = 41000 + Math.floor(Math.random() * 10000);
  const logs: Record<string, string[]> = { n1: [], n2: [], n3: [] };
  const make = (name: string, k: Buffer, incarnation = 1) => new MembershipService({
    cluster, self: name, clusterKey: k, incarnation, port, log: (_level, text) => logs[name].push(text),
  });
  const nodes = [make('n1', key), make('n2', key), make('n3', key)];
  try {
    for (const n of nodes) await n.start();
    await until('every node sees the two others', () => nodes.every((n) => n.view().length === 2), 3000);
    assert.deepEqual(nodes[0].view(), ['n2', 'n3']);
    assert.ok(logs.n1.includes('Node n2 is up (lan default)'));

    nodes[2].stop();
    await until('n1 and n2 see n3 down', () => nodes[0].view().join() === 'n2' && nodes[1].view().join() === 'n1', 3000);
    assert.ok(logs.n1.some((l) => /^Node n3 is down: no membership packet for 200 ms on any lan$/.test(l)));

    // n3 comes back with another cluster key: refused, logged once, never up
    nodes[2] = make('n3', Buffer.alloc(32, 2), 2);
    await nodes[2].start();
    await new Promise((r) => setTimeout(r, 400));
    assert.deepEqual(nodes[0].view(), ['n2']);
    const refused = logs.n1.filter((l) => l.startsWith('Membership packet from 127.0.0.13 on lan default refused: it is sealed with another cluster key'));
    assert.equal(refused.length, 1, logs.n1.join('\n'));
    assert.deepEqual(nodes[2].view(), [], 'n3 with the wrong key sees nobody either');
  } finally {
    for (const n of nodes) n.stop();
  }
});

test('a node that is not on any lan, or cannot bind its address, fails with the reason', async () => {
  assert.throws(() => new MembershipService({ cluster, self: 'n9', clusterKey: key, incarnation: 1, log: () => undefined }), /node n9 is on no lan/);
  const bad = parseClusterXml(xml.replace('127.0.0.11', '192.0.2.77'), 'c.xml').config!;
  const s = new MembershipService({ cluster: bad, self: 'n1', clusterKey: key, incarnation: 1, port: 40999, log: () => undefined });
  await assert.rejects(s.start(), /cannot listen for membership on 192\.0\.2\.77:40999 \(lan default\).*is 192\.0\.2\.77 an address of this machine\?/);
  s.stop();
});
