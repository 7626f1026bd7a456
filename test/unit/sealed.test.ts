// Sealed datagrams: round trip, any tampering refused, other keys refused with a reason, replays
// dropped, and arbitrary bytes from the network never throw.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { deriveKey, open, seal, type SealKey } from '../../src/protocol/sealed.js';
import { ReplayGuard } from '../../src/protocol/replay.js';

const secret = Buffer.alloc(32, 7);
const key = deriveKey(secret, 'membership');
const envelope = { from: 'n1', incarnation: 3, seq: 42, body: { state: 'up', lans: ['default'] } };

test('a sealed frame opens with the same key and purpose', () => {
  const r = open(seal(key, 'membership', envelope), [key]);
  assert.deepEqual(r, { ok: true, kind: 'membership', envelope });
});

test('another cluster key, or the same key for another purpose, is refused', () => {
  const frame = seal(key, 'membership', envelope);
  assert.deepEqual(open(frame, [deriveKey(Buffer.alloc(32, 8), 'membership')]), { ok: false, reason: 'unknown-key' });
  assert.deepEqual(open(frame, [deriveKey(secret, 'heartbeat:mirror')]), { ok: false, reason: 'unknown-key' });
  // a forged key id (same id, other key material) fails authentication
  const forged: SealKey = { id: key.id, aes: Buffer.alloc(32, 9) };
  assert.deepEqual(open(frame, [forged]), { ok: false, reason: 'auth-failed' });
  // during a key rotation both keys are tried
  assert.equal(open(frame, [deriveKey(Buffer.alloc(32, 8), 'membership'), key]).ok, true);
});

test('flipping any single byte of a frame makes it refused', () => {
  const frame = seal(key, 'membership', envelope);
  for (let i = 0; i < frame.length; i++) {
    const bad = Buffer.from(frame);
    bad[i] ^= 0x01;
    assert.equal(open(bad, [key]).ok, false, `byte ${i} flipped`);
  }
  assert.deepEqual(open(frame.subarray(0, 20), [key]), { ok: false, reason: 'too-short' });
});

test('bytes from the network never throw, whatever they are', () => {
  fc.assert(fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
    const r = open(Buffer.from(bytes), [key]);
    assert.equal(r.ok, false);
  }), { numRuns: 3000 });
  const frame = seal(key, 'membership', envelope);
  fc.assert(fc.property(fc.nat(frame.length - 1), fc.integer({ min: 1, max: 255 }), (at, x) => {
    const bad = Buffer.from(frame);
    bad[at] ^= x;
    assert.equal(open(bad, [key]).ok, false);
  }), { numRuns: 3000 });
});

test('a payload that is not an envelope is refused even when authentic', () => {
  const frame = seal(key, 'membership', { from: '', incarnation: -1, seq: 0.5, body: null } as never);
  assert.deepEqual(open(frame, [key]), { ok: false, reason: 'bad-payload' });
});

test('the replay guard accepts each packet once, late ones within a window, and a restarted sender', () => {
  const g = new ReplayGuard();
  assert.equal(g.accept('n2', 1, 10), true);
  assert.equal(g.accept('n2', 1, 10), false, 'duplicate');
  assert.equal(g.accept('n2', 1, 12), true);
  assert.equal(g.accept('n2', 1, 11), true, 'late but new');
  assert.equal(g.accept('n2', 1, 11), false, 'late duplicate');
  assert.equal(g.accept('n2', 1, 200), true);
  assert.equal(g.accept('n2', 1, 100), false, 'older than the window');
  assert.equal(g.accept('n2', 0, 500), false, 'an older incarnation (replayed capture)');
  assert.equal(g.accept('n2', 2, 1), true, 'the sender restarted');
});
