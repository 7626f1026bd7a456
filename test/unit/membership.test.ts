// The pure membership machine: up on a pulse, down after silence on every lan, restarts noticed,
// refusals logged once per sender and reason, pulses sent on every shared lan each period.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { initialMembership, stepMembership, type MembershipAction, type MembershipEvent, type MembershipState } from '../../src/core/membership.js';

const config = {
  self: 'n1', pulseMs: 100, lostAfterMs: 1000,
  peers: [{ name: 'n2', lans: [{ lan: 'default', addr: '10.0.0.2' }, { lan: 'repli', addr: '10.1.0.2' }] }, { name: 'n3', lans: [{ lan: 'default', addr: '10.0.0.3' }] }],
};

function run(state: MembershipState, events: MembershipEvent[]): { state: MembershipState; actions: MembershipAction[] } {
  const actions: MembershipAction[] = [];
  for (const e of events) { const r = stepMembership(state, e); state = r.state; actions.push(...r.actions); }
  return { state, actions };
}
const logs = (a: MembershipAction[]) => a.filter((x) => x.type === 'log').map((x) => (x as { text: string }).text);

test('pulses go to every peer on every shared lan, once per period', () => {
  const { actions } = run(initialMembership(config), [{ type: 'tick', now: 0 }, { type: 'tick', now: 50 }, { type: 'tick', now: 100 }]);
  const sends = actions.filter((a) => a.type === 'send').map((a) => `${(a as { lan: string }).lan}:${(a as { addr: string }).addr}`);
  assert.deepEqual(sends, ['default:10.0.0.2', 'repli:10.1.0.2', 'default:10.0.0.3', 'default:10.0.0.2', 'repli:10.1.0.2', 'default:10.0.0.3']);
});

test('a peer is up while one lan hears it, down after silence on all, and a restart is noticed', () => {
  let r = run(initialMembership(config), [{ type: 'pulse', now: 0, lan: 'default', from: 'n2', incarnation: 1 }]);
  assert.deepEqual(logs(r.actions), ['Node n2 is up (lan default)']);
  assert.deepEqual(r.actions.at(-1), { type: 'view', up: ['n2'] });
  r = run(r.state, [{ type: 'pulse', now: 900, lan: 'repli', from: 'n2', incarnation: 1 }, { type: 'tick', now: 1500 }]);
  assert.equal(r.state.peers.n2.up, true, 'the repli lan still hears it');
  r = run(r.state, [{ type: 'tick', now: 1901 }]);
  assert.deepEqual(logs(r.actions), ['Node n2 is down: no membership packet for 1000 ms on any lan']);
  r = run(r.state, [{ type: 'pulse', now: 2000, lan: 'default', from: 'n2', incarnation: 1 }, { type: 'pulse', now: 2050, lan: 'default', from: 'n2', incarnation: 2 }]);
  assert.deepEqual(logs(r.actions), ['Node n2 is up (lan default)', 'Node n2 restarted (incarnation 2)']);
});

test('refusals are logged once per address and reason, strangers are ignored', () => {
  const r = run(initialMembership(config), [
    { type: 'refused', now: 0, lan: 'default', addr: '10.0.0.9', reason: 'unknown-key' },
    { type: 'refused', now: 1, lan: 'default', addr: '10.0.0.9', reason: 'unknown-key' },
    { type: 'refused', now: 2, lan: 'default', addr: '10.0.0.9', reason: 'auth-failed' },
    { type: 'pulse', now: 3, lan: 'default', from: 'n7', incarnation: 1 },
  ]);
  assert.equal(logs(r.actions).length, 2);
  assert.match(logs(r.actions)[0], /from 10\.0\.0\.9 on lan default refused: it is sealed with another cluster key/);
  assert.deepEqual(Object.keys(r.state.peers), ['n2', 'n3']);
});
