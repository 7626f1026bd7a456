// The mirror machine's hand-over rules, tested step by step on one node with crafted heartbeats.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FRESH_DATA, initialMirror, stepMirror } from '../../src/core/mirror/machine.js';
import type { MirrorHeartbeat, MirrorNode, MirrorSettings } from '../../src/core/mirror/types.js';
import type { PersistedData, Action } from '../../src/core/actions.js';

const settings: MirrorSettings = {
  node: 'n1', peer: 'n2', heartbeats: [{ ident: 'default', pulseMs: 100, timeoutMs: 600 }], replicated: true,
  defaultprim: 'alone', maxloop: 3, loopIntervalMs: 86_400_000, rules: [], periodMs: 200, handleTimeMs: 600, splitbrain: false, checkerResources: [],
};
const synced: PersistedData = { ...FRESH_DATA, generation: { current: 'n1:1:1', history: [] }, lastRole: 'primary', uptodate: true };

function peerBeat(seq: number, over: Partial<MirrorHeartbeat> = {}): MirrorHeartbeat {
  return {
    from: 'n2', incarnation: 1, seq, state: 'STOP', qualifier: 'NotReady', dataRole: 'none', deciding: false,
    data: { ...synced, uptodate: false, lastRole: 'secondary' }, aloneFrom: null, swapRequest: false, handoff: false,
    resources: {}, ack: null, claim: false, ...over,
  };
}

function run(node: MirrorNode, events: Parameters<typeof stepMirror>[1][]): { node: MirrorNode; actions: Action[] } {
  const actions: Action[] = [];
  for (const e of events) {
    const r = stepMirror(node, e);
    node = r.state;
    actions.push(...r.actions);
  }
  return { node, actions };
}

const persisted = (actions: Action[]) => actions.filter((a): a is Extract<Action, { type: 'persist' }> => a.type === 'persist').map((a) => a.data);

test('a stopped node that sees the peer claim the primary role gives up starting alone, durably', () => {
  const n1 = initialMirror(settings, synced, 1);
  const { node, actions } = run(n1, [{ type: 'heartbeat', now: 10, ident: 'default', message: peerBeat(1, { state: 'WAIT', qualifier: 'Transient', deciding: true, claim: true }) }]);
  assert.deepEqual(persisted(actions).map((d) => d.uptodate), [false]);
  assert.equal(node.data.uptodate, false);
  // the next heartbeat carries the release and acknowledges the claim
  const beat = run(node, [{ type: 'tick', now: 200 }]).actions.find((a) => a.type === 'sendHeartbeat') as Extract<Action, { type: 'sendHeartbeat' }>;
  const m = beat.message as MirrorHeartbeat;
  assert.equal(m.data.uptodate, false);
  assert.deepEqual(m.ack, { incarnation: 1, seq: 1 });
});

test('a claimant goes ALONE only on a heartbeat that acknowledges its claim and shows the release', () => {
  let n1 = initialMirror(settings, synced, 1);
  // start, finish prestart: now deciding with the (stopped, still uptodate) peer in sight
  n1 = run(n1, [
    { type: 'heartbeat', now: 0, ident: 'default', message: peerBeat(1, { data: { ...synced, lastRole: 'secondary', uptodate: true } }) },
    { type: 'command', now: 1, command: { kind: 'start' }, by: 'root' },
  ]).node;
  n1 = run(n1, [{ type: 'scriptsDone', now: 20, batch: n1.batch, ok: true }, { type: 'tick', now: 21 }]).node;
  assert.equal(n1.claimSeq, null, 'nothing is decided before the peer has heard this node in WAIT');
  n1 = run(n1, [{ type: 'heartbeat', now: 25, ident: 'default', message: peerBeat(2, { ack: { incarnation: 1, seq: n1.seq }, data: { ...synced, lastRole: 'secondary', uptodate: true } }) }]).node;
  assert.equal(n1.state, 'WAIT');
  assert.notEqual(n1.claimSeq, null, 'it claims instead of going ALONE at once');
  const claim = n1.claimSeq!;
  // an old heartbeat (no ack of the claim) does not let it go
  n1 = run(n1, [{ type: 'heartbeat', now: 30, ident: 'default', message: peerBeat(3, { ack: { incarnation: 1, seq: claim - 1 }, data: { ...synced, lastRole: 'secondary', uptodate: true } }) }]).node;
  assert.equal(n1.state, 'WAIT');
  // acknowledged, but the peer still may start alone: wait
  n1 = run(n1, [{ type: 'heartbeat', now: 40, ident: 'default', message: peerBeat(4, { ack: { incarnation: 1, seq: claim }, data: { ...synced, lastRole: 'secondary', uptodate: true } }) }]).node;
  assert.equal(n1.state, 'WAIT');
  // acknowledged and released: ALONE, with the new generation persisted before the VIP
  const r = run(n1, [{ type: 'heartbeat', now: 50, ident: 'default', message: peerBeat(5, { ack: { incarnation: 1, seq: claim }, data: { ...synced, lastRole: 'secondary', uptodate: false } }) }]);
  assert.equal(r.node.state, 'ALONE');
  const kinds = r.actions.map((a) => a.type);
  assert.ok(kinds.indexOf('persist') < kinds.indexOf('addVip'), kinds.join(' '));
  assert.equal(r.node.data.generation.history[0], 'n1:1:1');
});

test('a secondary whose primary never confirmed the synchronisation does not fail over', () => {
  let n1 = initialMirror({ ...settings }, { ...synced, uptodate: false, lastRole: 'secondary' }, 1);
  const primary = (seq: number, uptodate: boolean) => peerBeat(seq, { state: 'PRIM', qualifier: 'Ready', dataRole: 'primary', data: { ...synced, uptodate } });
  const toSecondReady = (first: MirrorHeartbeat): MirrorNode => {
    let n = run(initialMirror(settings, { ...synced, uptodate: false, lastRole: 'secondary' }, 1), [
      { type: 'heartbeat', now: 0, ident: 'default', message: first },
      { type: 'command', now: 1, command: { kind: 'start' }, by: 'root' },
    ]).node;
    n = run(n, [{ type: 'scriptsDone', now: 20, batch: n.batch, ok: true }, { type: 'tick', now: 21 }]).node;
    // a primary's heartbeat that has not heard this node in WAIT may be a late one, from a node
    // since dead: no resynchronisation from it
    assert.equal(n.state, 'WAIT');
    assert.equal(n.resyncing, null);
    // the primary's next heartbeat shows it heard this node in WAIT: then it follows it
    n = run(n, [{ type: 'heartbeat', now: 25, ident: 'default', message: { ...first, seq: first.seq + 1, ack: { incarnation: 1, seq: n.seq } } }]).node;
    assert.equal(n.state, 'SECOND');
    n = run(n, [{ type: 'resyncDone', now: 30, ok: true }]).node;
    return run(n, [{ type: 'scriptsDone', now: 40, batch: n.batch, ok: true }]).node;
  };
  n1 = toSecondReady(primary(1, true));
  assert.equal(`${n1.state} ${n1.qualifier}`, 'SECOND Ready');
  const lost = run(n1, [{ type: 'tick', now: 1000 }]);
  assert.equal(`${lost.node.state} ${lost.node.qualifier}`, 'WAIT NotReady');
  assert.ok(lost.actions.some((a) => a.type === 'log' && /had not confirmed the last synchronization/.test(a.text)));
  // the same secondary, with a confirmed primary, takes over
  const confirmed = run(toSecondReady(primary(1, false)), [{ type: 'tick', now: 1000 }]).node;
  assert.equal(confirmed.state, 'ALONE');
});

test('the same heartbeat again keeps the peer alive (its heartbeat thread repeats it); an older one does not', () => {
  const n1 = initialMirror(settings, synced, 1);
  const resources = (actions: Action[]) => actions.filter((a) => a.type === 'setResource').map((a) => `${(a as { name: string }).name}=${(a as { value: string }).value}`);
  // seq 5 at 0, then only repeats of it: the peer's main thread is held up, its thread repeats
  let { node } = run(n1, [{ type: 'heartbeat', now: 0, ident: 'default', message: peerBeat(5) }]);
  for (let now = 100; now <= 1000; now += 100) node = run(node, [{ type: 'heartbeat', now, ident: 'default', message: peerBeat(5) }, { type: 'tick', now: now + 1 }]).node;
  assert.equal(node.heartbeats.default.up, true, 'a peer repeating its heartbeat for longer than the timeout was declared lost');
  // a reordered, older message says nothing about now: the timeout runs from the last repeat
  const late = run(node, [{ type: 'heartbeat', now: 1500, ident: 'default', message: peerBeat(4) }, { type: 'tick', now: 1650 }]);
  assert.equal(late.node.heartbeats.default.up, false);
  assert.ok(resources(late.actions).includes('heartbeat.default=down'));
});

test('a peer heard one way only: the waiting node follows nothing it says, and tells the operator once', () => {
  let n = initialMirror(settings, { ...synced, uptodate: false, lastRole: 'secondary' }, 1);
  const primary = (seq: number, ack: MirrorHeartbeat['ack']) => peerBeat(seq, { state: 'PRIM', qualifier: 'Ready', dataRole: 'primary', data: { ...synced, uptodate: false }, ack });
  n = run(n, [{ type: 'command', now: 0, command: { kind: 'start' }, by: 'root' }]).node;
  n = run(n, [{ type: 'scriptsDone', now: 20, batch: n.batch, ok: true }]).node;
  const told: string[] = [];
  for (let t = 100; t <= 1500; t += 100) {
    const r = run(n, [{ type: 'heartbeat', now: t, ident: 'default', message: primary(t / 100, null) }, { type: 'tick', now: t + 1 }]);
    n = r.node;
    told.push(...r.actions.filter((a) => a.type === 'log' && /does not hear this node/.test(a.text)).map((a) => (a as { text: string }).text));
  }
  assert.equal(`${n.state} ${n.resyncing}`, 'WAIT null', 'no resynchronisation from a primary that does not hear us');
  assert.deepEqual(told, ['Heartbeats from n2 arrive, but n2 does not hear this node: it waits until it does (check the network from this node to n2)']);
  // the link works both ways again: the primary's heartbeat acknowledges ours, and this node follows it
  n = run(n, [{ type: 'heartbeat', now: 1600, ident: 'default', message: primary(16, { incarnation: 1, seq: n.seq }) }]).node;
  assert.equal(n.state, 'SECOND');
  assert.equal(n.unheard, null);
});
