// The reintegration's bandwidth cap (reiallowedbw): whatever the size of the pieces, the sender is
// held back to the allowed rate on average (within 10 ms a piece), and no cap means no wait.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Throttle } from '../../src/replication/throttle.js';

/** A clock that only sleeping moves forward, plus `work` ms per piece sent (the sending itself). */
function fakeTime(workMs: number) {
  let t = 1_000;
  let slept = 0;
  return {
    now: () => t,
    sleep: async (ms: number) => { slept += ms; t += ms; },
    work: () => { t += workMs; },
    get slept() { return slept; },
    get elapsed() { return t - 1_000; },
  };
}

test('20 MiB at 1024 KiB/s takes 20 s whatever the piece size, and the sleeps fill what the sending did not', async () => {
  for (const piece of [4096, 128 * 1024, 1024 * 1024]) {
    const clock = fakeTime(2);
    const throttle = new Throttle(1024 * 1024, clock.now, clock.sleep);
    for (let sent = 0; sent < 20 * 1024 * 1024; sent += piece) { clock.work(); await throttle.sent(piece); }
    assert.ok(Math.abs(clock.elapsed - 20_000) <= 2 + 10, `${piece}-byte pieces: ${clock.elapsed} ms`);
  }
});

test('a sender slower than the cap never waits, and no cap never waits', async () => {
  const slow = fakeTime(50); // 64 KiB per 50 ms = 1.25 MiB/s, under a 2 MiB/s cap
  const capped = new Throttle(2 * 1024 * 1024, slow.now, slow.sleep);
  for (let i = 0; i < 100; i++) { slow.work(); await capped.sent(64 * 1024); }
  assert.equal(slow.slept, 0);
  const fast = fakeTime(0);
  const uncapped = new Throttle(0, fast.now, fast.sleep);
  for (let i = 0; i < 100; i++) await uncapped.sent(1024 * 1024);
  assert.equal(fast.slept, 0);
});
