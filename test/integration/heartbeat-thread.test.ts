// Mirror heartbeats sent and timed in a thread of their own (src/module/heartbeat-worker.ts), over
// real UDP on loopback: a module process whose main thread is held up (an fsync on a saturated
// disk) keeps the peer's heartbeats and keeps sending its own, until the hold bound; a duplicate or
// replayed frame never reaches the core.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { HeartbeatTransport, holdMs, type HeartbeatTransportOptions } from '../../src/module/heartbeat-transport.js';
import type { ClusterConfig } from '../../src/shared/config.js';
import type { MirrorHeartbeat } from '../../src/core/mirror/types.js';
import { deriveKey, seal } from '../../src/protocol/sealed.js';

const PULSE = 50;
const TIMEOUT = 300;
const PORT = 18_931;
const KEY = Buffer.alloc(32, 7);
const cluster: ClusterConfig = {
  port: 0, pulseMs: PULSE, mlostCount: 3, slostCount: 3, nodeNames: ['n1', 'n2'],
  lans: [{ name: 'default', nodes: [{ name: 'n1', addr: '127.0.0.61' }, { name: 'n2', addr: '127.0.0.62' }] }],
} as unknown as ClusterConfig;

const body = (from: string, seq: number) => ({ from, seq, incarnation: 1 }) as unknown as MirrorHeartbeat;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** Holds this (main) thread as a long fsync would: no timer, no socket, no message runs meanwhile. */
const hold = (ms: number) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);

interface Side { transport: HeartbeatTransport; received: { at: number; seq: number }[] }

function side(node: 'n1' | 'n2', onRejected: HeartbeatTransportOptions['onRejected'] = () => undefined): Side {
  const received: Side['received'] = [];
  const transport = new HeartbeatTransport({
    module: 'hb', node, peer: node === 'n1' ? 'n2' : 'n1', cluster, port: PORT, moduleKey: KEY, incarnation: 1, configSignature: 'sig',
    links: [{ ident: 'default', lan: 'default', pulseMs: PULSE, timeoutMs: TIMEOUT }],
    onHeartbeat: (_ident, m) => received.push({ at: performance.now(), seq: m.seq }), onRejected, onOtherConfig: () => undefined,
  });
  return { transport, received };
}

test('a held-up main thread keeps its heartbeats flowing until the hold bound, then they stop', async () => {
  const a = side('n1');
  const b = side('n2');
  await a.transport.start();
  await b.transport.start();
  try {
    for (let seq = 1; seq <= 5; seq++) { a.transport.send(['default'], body('n1', seq)); await sleep(PULSE); }
    // one and a half timeouts (less than the hold bound of two) with no heartbeat from the core and
    // no event loop: the thread repeats seq 5 every pulse
    hold(1.5 * TIMEOUT);
    a.transport.send(['default'], body('n1', 6));
    await sleep(2 * PULSE); // the messages the peer's thread posted meanwhile are delivered now
    const stats = b.transport.stats().default;
    assert.ok(stats.maxGapMs < 3 * PULSE, `the peer saw a gap of ${stats.maxGapMs} ms while our main thread was held ${1.5 * TIMEOUT} ms (pulse ${PULSE}, timeout ${TIMEOUT})`);
    const repeats = b.received.filter((r) => r.seq === 5).length;
    assert.ok(repeats >= (1.5 * TIMEOUT) / PULSE - 2, `seq 5 was repeated ${repeats} times during the hold (one per pulse expected)`);
    assert.equal(b.received.at(-1)?.seq, 6, 'a new heartbeat of the core is sent at once');
    // beyond the bound, a main thread that sends nothing more is a dead one: silence
    await sleep(holdMs([{ ident: 'default', lan: 'default', pulseMs: PULSE, timeoutMs: TIMEOUT }]) + 4 * PULSE);
    const before = b.received.length;
    await sleep(4 * PULSE);
    assert.equal(b.received.length, before, 'heartbeats went on after the hold bound without a newer one from the main thread');
  } finally {
    a.transport.stop();
    b.transport.stop();
  }
});

test('duplicated, replayed and older frames never reach the core; a forged one is rejected with the reason', async () => {
  const rejected: string[] = [];
  const b = side('n2', (_ident, _from, reason) => rejected.push(reason));
  await b.transport.start();
  const raw = createSocket('udp4');
  await new Promise<void>((r) => raw.bind(0, '127.0.0.61', r)); // the peer's address, another port
  const key = deriveKey(KEY, 'heartbeat:hb');
  const frame = (seq: number, k = key) => seal(k, 'heartbeat', { from: 'n1', incarnation: 1, seq, body: body('n1', seq), sig: 'sig' });
  const sendRaw = (f: Buffer) => new Promise<void>((r) => raw.send(f, PORT, '127.0.0.62', () => r()));
  try {
    const ten = frame(10);
    await sendRaw(ten);
    await sendRaw(ten); // a duplicate of the network, or a replay
    await sendRaw(frame(9)); // older
    await sendRaw(frame(11, deriveKey(Buffer.alloc(32, 8), 'heartbeat:hb'))); // another module key
    await sendRaw(frame(12));
    await sleep(100);
    assert.deepEqual(b.received.map((r) => r.seq), [10, 12]);
    assert.equal(rejected.length, 1);
    assert.match(rejected[0], /another module key/);
  } finally {
    raw.close();
    b.transport.stop();
  }
});
