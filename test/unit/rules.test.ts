// The failover machine: evaluation of ? and *, remote resources, precedence, handle_time, maxloop.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseRules } from '../../src/config/rules-parse.js';
import { checkerRules } from '../../src/config/section-failover.js';
import { holds } from '../../src/core/rules/evaluate.js';
import { evaluateRules, INITIAL_RULES_STATE } from '../../src/core/rules/engine.js';
import { countRecovery, EMPTY_LOOP } from '../../src/core/rules/maxloop.js';
import type { FailoverRule } from '../../src/shared/rules.js';

function rules(text: string): FailoverRule[] {
  const r = parseRules(text, { line: 1, col: 1 });
  assert.deepEqual(r.errors, []);
  return r.rules;
}

test('? means any resource of the class, * means all of them, a bare resource means up', () => {
  const [anyDown, allDown, bare] = rules('a: if (intf.? == down) then wait(); b: if (intf.* == down) then stop(); c: if (tcp.web) then restart();');
  const ctx = (local: Record<string, string>) => ({ local, remote: null, clusterPeerVisible: true });
  assert.equal(holds(anyDown.when, ctx({ 'intf.a': 'up', 'intf.b': 'down' })), true);
  assert.equal(holds(allDown.when, ctx({ 'intf.a': 'up', 'intf.b': 'down' })), false);
  assert.equal(holds(allDown.when, ctx({ 'intf.a': 'down', 'intf.b': 'down' })), true);
  assert.equal(holds(anyDown.when, ctx({})), false, 'no resource of the class: the rule does not hold');
  assert.equal(holds(bare.when, ctx({ 'tcp.web': 'up' })), true);
});

test('remote resources read unknown while the peer is not heard', () => {
  const [r] = rules('r: if (remote.rfs.uptodate == unknown && !cluster()) then wait();');
  assert.equal(holds(r.when, { local: {}, remote: null, clusterPeerVisible: false }), true);
  assert.equal(holds(r.when, { local: {}, remote: { 'rfs.uptodate': 'up' }, clusterPeerVisible: false }), false);
});

test('precedence: stop > stopstart > wait > swap > restart, first rule of an action names it', () => {
  const set = rules('r1: if (tcp.a == down) then restart(); w1: if (tcp.a == down) then wait(); w2: if (tcp.a == down) then wait(); s1: if (tcp.a == down) then stopstart();');
  const ev = evaluateRules(set, { local: { 'tcp.a': 'down' }, remote: null, clusterPeerVisible: true }, 0, INITIAL_RULES_STATE, 5000, 0);
  assert.deepEqual(ev.fire, { action: 'stopstart', rule: 's1' });
  assert.equal(ev.waitRule, 'w1');
  const noStop = evaluateRules(set.slice(0, 3), { local: { 'tcp.a': 'down' }, remote: null, clusterPeerVisible: true }, 0, INITIAL_RULES_STATE, 5000, 0);
  assert.deepEqual(noStop.fire, { action: 'wait', rule: 'w1' });
});

test('an action runs only after its rule has won for handle_time, evaluated every period', () => {
  const set = rules('t_web: if (tcp.web == down) then restart();');
  const ctx = { local: { 'tcp.web': 'down' }, remote: null, clusterPeerVisible: true };
  let st = INITIAL_RULES_STATE;
  const fired: number[] = [];
  for (let now = 0; now <= 30_000; now += 1000) {
    const ev = evaluateRules(set, ctx, now, st, 5000, 15_000);
    st = ev.state;
    if (ev.fire) fired.push(now);
  }
  assert.deepEqual(fired, [15_000, 30_000], 'evaluated at 0, 5 s, 10 s…; acts at 15 s, then again 15 s later');
  const up = evaluateRules(set, { ...ctx, local: { 'tcp.web': 'up' } }, 35_000, st, 5000, 15_000);
  assert.equal(up.state.candidate, null, 'a rule that stops holding resets its stability');
});

test('assignment rules and the waiting-on-init signal', () => {
  const set = rules('rfs_forceuptodate: if (heartbeat.* == down && rfs.synced == up && rfs.uptodate == down) then rfs.uptodate=up; p_r: if (ping.r == down) then wait();');
  const ev = evaluateRules(set, { local: { 'heartbeat.default': 'down', 'rfs.synced': 'up', 'rfs.uptodate': 'down', 'ping.r': 'init' }, remote: null, clusterPeerVisible: false }, 0, INITIAL_RULES_STATE, 5000, 15_000);
  assert.deepEqual(ev.assignments, [{ rule: 'rfs_forceuptodate', resource: 'rfs.uptodate', value: 'up' }]);
  assert.equal(ev.waitOnInit, true);
  assert.equal(ev.waitRule, null);
});

test('checker-generated rules: t_, p_, c_ from the action, fixed rules for intf/ip/module/splitbrain', () => {
  const generated = checkerRules([
    { type: 'tcp', ident: 'web', resource: 'tcp.web', when: 'prim', action: 'restart', intervalMs: 1, timeoutMs: 1, target: {} },
    { type: 'custom', ident: 'app', resource: 'custom.app', when: 'pre', action: 'noaction', intervalMs: 1, timeoutMs: 1, target: {} },
    { type: 'custom', ident: 'db', resource: 'custom.db', when: 'prim', action: 'stopstart', intervalMs: 1, timeoutMs: 1, target: {} },
    { type: 'intf', ident: '10.0.0.0', resource: 'intf.10.0.0.0', when: 'pre', action: 'wait', intervalMs: 1, timeoutMs: 1, target: {} },
  ]);
  assert.deepEqual(generated.map((r) => `${r.name}:${r.then.kind === 'action' ? r.then.action : ''}`), ['interface_failure:wait', 't_web:restart', 'c_db:stopstart']);
});

test('maxloop: the 4th recovery within 24 h exceeds the default 3; the window restarts after it', () => {
  let loop = EMPTY_LOOP;
  const day = 86_400_000;
  const results: boolean[] = [];
  for (const at of [0, 1000, 2000, 3000]) {
    const r = countRecovery(loop, at, 3, day);
    loop = r.loop;
    results.push(r.exceeded);
  }
  assert.deepEqual(results, [false, false, false, true]);
  assert.equal(countRecovery(loop, day + 5000, 3, day).exceeded, false, 'a new window after loop_interval');
  assert.equal(countRecovery({ count: 99, since: 0 }, 1, 3, 0).exceeded, false, 'loop_interval 0 disables counting');
});

test('rule syntax errors name the line and column', () => {
  const r = parseRules('\n  ok: if (tcp.a == down) then wait();\n  bad: if (tcp.a == ) then wait();\n  worse: if (x.y == up) then explode();', { line: 20, col: 1 });
  assert.equal(r.rules.length, 1);
  assert.deepEqual(r.errors.map((e) => `${e.pos.line}:${e.pos.col}`), ['22:21', '23:30']);
  assert.match(r.errors[1].message, /unknown action explode\(\)/);
});
