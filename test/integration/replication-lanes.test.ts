// nbremconn on loopback TLS: the primary spreads its changes over several connections; the
// secondary applies them in the order they were made whichever connection brought them, holds a
// control message ("synced") until the changes sent before it are applied, refuses an extra
// connection that names another session, and treats one connection lost as the session lost.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, type TLSSocket } from 'node:tls';
import { caDir, createClusterCa, nodeCredentials } from '../../src/daemon/pki.js';
import { CopyApplier } from '../../src/replication/apply.js';
import { LANE_PROTOCOL, ReplicaClient, ReplicaServer } from '../../src/replication/link.js';
import { encodeControl } from '../../src/replication/wire.js';

const until = async (what: string, ok: () => boolean, ms = 10_000) => {
  for (const end = Date.now() + ms; !ok(); await new Promise((r) => setTimeout(r, 10))) if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
};

test('changes spread over three connections are applied in the order they were made', { timeout: 60_000 }, async () => {
  const base = fs.mkdtempSync(join(tmpdir(), 'lanes-'));
  const [copy, etc1, etc2] = ['copy', 'etc1', 'etc2'].map((d) => join(base, d));
  for (const d of [copy, etc1, etc2]) fs.mkdirSync(d);
  createClusterCa(etc1);
  fs.cpSync(caDir(etc1), caDir(etc2), { recursive: true });
  const logs: string[] = [];
  const serverLost: string[] = [];
  const clientLost: string[] = [];
  const synced: bigint[] = [];
  const server: ReplicaServer = new ReplicaServer({
    credentials: nodeCredentials(etc2, 'n2'), primary: 'n1', copies: [new CopyApplier(copy)], ackOnReceipt: true,
    hello: () => ({ t: 'hello', generation: '', mode: 'none', unclean: false }), manifest: () => Promise.resolve(),
    onSynced: () => synced.push(server.applied), onLost: (r) => serverLost.push(r), log: (t) => logs.push(t),
  });
  const port = 48000 + Math.floor(Math.random() * 1000);
  await server.listen('127.0.0.1', port);
  const client = new ReplicaClient({ credentials: nodeCredentials(etc1, 'n1'), secondary: 'n2', ackTimeoutMs: 20_000, onLost: (r) => clientLost.push(r), connections: 3 });
  try {
    const hello = await client.connect('127.0.0.1', port);
    assert.equal(server.connections, 3, 'the first connection and two extra ones');

    // the same bytes rewritten 30 times, large and small writes in turn: a small write sent on one
    // connection arrives before the large one sent earlier on another, and must still land after it
    const { uid, gid } = { uid: process.getuid?.() ?? 0, gid: process.getgid?.() ?? 0 };
    const sent: Promise<void>[] = [client.send({ op: 'create', path: 'f', mode: 0o644, uid, gid })];
    for (let i = 0; i < 30; i++) sent.push(client.send({ op: 'write', path: 'f', offset: 0, data: Buffer.alloc(i % 2 ? 100 : 1024 * 1024, i) }));
    sent.push(client.send({ op: 'fsync', path: 'f', dataOnly: false }));
    client.control({ t: 'synced', generation: 'g1' }); // at once: the secondary holds it until the 32 changes are applied
    await Promise.all(sent);
    await until('synced', () => synced.length === 1);
    assert.deepEqual(synced, [32n], '"synced" came after every change sent before it');
    const data = fs.readFileSync(join(copy, 'f'));
    assert.equal(data.length, 1024 * 1024);
    assert.ok(data.subarray(0, 100).every((b) => b === 29), 'the last write is the last applied');
    assert.ok(data.subarray(100).every((b) => b === 28), 'the large write before it is under it');

    // an extra connection naming another session is refused, the session goes on
    const stranger: TLSSocket = connect({ host: '127.0.0.1', port, ...nodeCredentials(etc1, 'n1'), ALPNProtocols: [LANE_PROTOCOL], checkServerIdentity: () => undefined });
    stranger.once('secureConnect', () => stranger.write(encodeControl({ t: 'join', session: `not-${hello.session}` })));
    stranger.on('error', () => undefined);
    await new Promise((r) => stranger.once('close', r));
    assert.match(logs.join('\n'), /extra replication connection .* refused: it does not name the current session/);
    assert.equal(server.connections, 3);
    await client.send({ op: 'truncate', path: 'f', size: 10 });
    assert.equal(fs.statSync(join(copy, 'f')).size, 10);

    // one connection lost: both ends see the session lost
    (client as unknown as { lanes: TLSSocket[] }).lanes[2].destroy();
    await until('both ends lost', () => clientLost.length === 1 && serverLost.length === 1);
    assert.equal(client.connected, false);
    assert.equal(server.connections, 0);
  } finally {
    client.close();
    await server.close();
    fs.rmSync(base, { recursive: true, force: true });
  }
});
