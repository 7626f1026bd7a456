// Properties of the farm bucket assignment: deterministic, shares within one bucket of the weighted
// share, and minimal movement when one node leaves or returns.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { BUCKETS, quotas, rebalance, type Member } from '../../src/core/farm/buckets.js';

const members = fc.uniqueArray(fc.record({ name: fc.constantFrom('n1', 'n2', 'n3', 'n4', 'n5', 'n6', 'n7', 'n8'), power: fc.integer({ min: 0, max: 64 }) }), { minLength: 1, maxLength: 8, selector: (m) => m.name });

function counts(map: readonly string[]): Map<string, number> {
  const c = new Map<string, number>();
  for (const o of map) c.set(o, (c.get(o) ?? 0) + 1);
  return c;
}

function withinOne(ms: readonly Member[], map: readonly string[]): void {
  const total = ms.reduce((s, m) => s + m.power, 0);
  const c = counts(map);
  assert.equal(map.filter((o) => o === '').length, 0, 'every bucket has an owner');
  for (const m of ms) {
    const exact = total === 0 ? BUCKETS / ms.length : (BUCKETS * m.power) / total;
    assert.ok(Math.abs((c.get(m.name) ?? 0) - exact) < 1, `${m.name} owns ${c.get(m.name) ?? 0}, share ${exact}`);
  }
}

function moved(a: readonly string[], b: readonly string[]): number {
  return a.reduce((n, o, i) => n + (o !== b[i] ? 1 : 0), 0);
}

/** The fewest buckets that must move from `before` to meet the quotas of `after`. */
function minimalMoves(before: readonly string[], after: readonly Member[]): number {
  const q = quotas(after);
  let n = 0;
  for (const [owner, count] of counts(before)) n += Math.max(0, count - (q.get(owner) ?? 0));
  return n;
}

test('bucket shares are within one bucket of each node\'s weighted share, from any start', () => {
  fc.assert(fc.property(members, (ms) => {
    const a = rebalance(null, ms);
    withinOne(ms, a);
    assert.deepEqual(rebalance(null, [...ms].reverse()), a, 'deterministic, whatever the member order');
  }), { numRuns: 2000 });
});

test('when one node leaves, only the buckets that must move move', () => {
  fc.assert(fc.property(members.filter((m) => m.length >= 2), fc.nat(), (ms, k) => {
    const before = rebalance(null, ms);
    const rest = ms.filter((_, i) => i !== k % ms.length);
    const after = rebalance(before, rest);
    withinOne(rest, after);
    assert.equal(moved(before, after), minimalMoves(before, rest));
  }), { numRuns: 2000 });
});

test('when one node returns, only the buckets it must take move', () => {
  fc.assert(fc.property(members.filter((m) => m.length >= 2), fc.nat(), (ms, k) => {
    const rest = ms.filter((_, i) => i !== k % ms.length);
    const before = rebalance(null, rest);
    const after = rebalance(before, ms);
    withinOne(ms, after);
    assert.equal(moved(before, after), minimalMoves(before, ms));
  }), { numRuns: 2000 });
});

test('powers as powers of 64 make a priority chain: the highest live node takes almost all', () => {
  const map = rebalance(null, [{ name: 'n1', power: 4096 }, { name: 'n2', power: 64 }, { name: 'n3', power: 1 }]);
  assert.ok((counts(map).get('n1') ?? 0) >= 252);
});
