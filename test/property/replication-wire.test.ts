// The replication stream's frames: every mutation comes back as it was sent, whatever the chunking
// of the byte stream; random or damaged bytes give a WireError naming the fault, never a crash,
// a hang or a half-read mutation.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { decodeFrame, encodeAck, encodeControl, encodeFrame, encodeReceipt, FrameSplitter, WireError, type StreamOp } from '../../src/replication/wire.js';

const path = fc.string({ minLength: 1, maxLength: 40 }).filter((s) => !s.includes('\0'));
const u32 = fc.integer({ min: 0, max: 0xffffffff });
const mutation: fc.Arbitrary<StreamOp> = fc.oneof(
  fc.record({ op: fc.constant('write' as const), path, offset: fc.integer({ min: 0, max: 2 ** 40 }), data: fc.uint8Array({ maxLength: 300 }).map((a) => Buffer.from(a)) }),
  fc.record({ op: fc.constant('truncate' as const), path, size: fc.integer({ min: 0, max: 2 ** 40 }) }),
  fc.record({ op: fc.constantFrom('create' as const, 'mkdir' as const), path, mode: fc.integer({ min: 0, max: 0o7777 }), uid: u32, gid: u32 }),
  fc.record({ op: fc.constant('symlink' as const), path, target: path, uid: u32, gid: u32 }),
  fc.record({ op: fc.constantFrom('unlink' as const, 'rmdir' as const), path }),
  fc.record({ op: fc.constant('rename' as const), from: path, to: path, noReplace: fc.boolean() }),
  fc.record({ op: fc.constant('chmod' as const), path, mode: fc.integer({ min: 0, max: 0o7777 }) }),
  fc.record({ op: fc.constant('chown' as const), path, uid: u32, gid: u32 }),
  fc.record({ op: fc.constant('utimens' as const), path, atimeNs: fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }), mtimeNs: fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }) }),
  fc.record({ op: fc.constant('fsync' as const), path, dataOnly: fc.boolean() }),
  fc.record({ op: fc.constant('mknod' as const), path, mode: u32, rdev: u32, uid: u32, gid: u32 }),
  fc.record({ op: fc.constant('remove' as const), path }),
  fc.record({ op: fc.constant('setxattr' as const), path, name: path, value: fc.uint8Array({ maxLength: 100 }).map((a) => Buffer.from(a)), flags: u32 }),
  fc.record({ op: fc.constant('removexattr' as const), path, name: path }),
  fc.record({ op: fc.constant('xattrs' as const), path, attrs: fc.array(fc.tuple(path, fc.uint8Array({ maxLength: 50 }).map((a) => Buffer.from(a))), { maxLength: 4 }) }),
  fc.record({ op: fc.constant('fallocate' as const), path, mode: u32, offset: fc.integer({ min: 0, max: 2 ** 40 }), length: fc.integer({ min: 0, max: 2 ** 40 }) }),
  fc.record({ op: fc.constant('ensure' as const), path, kind: fc.constantFrom('file' as const, 'dir' as const, 'symlink' as const, 'special' as const), mode: u32, uid: u32, gid: u32, size: fc.integer({ min: 0, max: 2 ** 40 }), rdev: u32, target: fc.string({ maxLength: 40 }).filter((s) => !s.includes('\0')) }),
).map((m) => ({ ...m })) as fc.Arbitrary<StreamOp>; // plain objects, as the decoder builds them

test('round trip: a numbered stream of changes, acks and control messages, cut anywhere, decodes to the same frames in order', () => {
  fc.assert(fc.property(fc.array(mutation, { maxLength: 20 }), fc.array(fc.integer({ min: 1, max: 64 }), { minLength: 1, maxLength: 10 }), fc.integer({ min: 0, max: 255 }), (ms, cuts, root) => {
    const stream = Buffer.concat([...ms.map((m, i) => encodeFrame(BigInt(i + 1), m, root)), encodeAck(7n), encodeReceipt(9n, 8n), encodeControl({ t: 'synced', generation: { current: 'n1:1:1', history: [] } })]);
    const splitter = new FrameSplitter();
    const got: ReturnType<typeof decodeFrame>[] = [];
    for (let at = 0, i = 0; at < stream.length; i++) {
      const n = cuts[i % cuts.length];
      for (const body of splitter.push(stream.subarray(at, at + n))) got.push(decodeFrame(body));
      at += n;
    }
    assert.deepEqual(got.slice(0, ms.length), ms.map((op, i) => ({ kind: 'op', seq: BigInt(i + 1), root, op })));
    assert.deepEqual(got.slice(ms.length), [{ kind: 'ack', seq: 7n }, { kind: 'received', seq: 9n, applied: 8n }, { kind: 'ctrl', message: { t: 'synced', generation: { current: 'n1:1:1', history: [] } } }]);
  }), { numRuns: 300 });
});

test('damaged frames: truncated, extended, flipped or random bytes are refused with a WireError', () => {
  fc.assert(fc.property(mutation, fc.nat(), fc.integer({ min: 0, max: 255 }), (m, where, value) => {
    const body = encodeFrame(1n, m).subarray(4);
    for (const bad of [body.subarray(0, where % body.length), Buffer.concat([body, Buffer.from([value])])]) {
      assert.throws(() => decodeFrame(bad), WireError);
    }
    const flipped = Buffer.from(body);
    flipped[where % flipped.length] ^= value || 1;
    try { decodeFrame(flipped); } catch (e) { assert.ok(e instanceof WireError, String(e)); }
  }), { numRuns: 500 });
  fc.assert(fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
    try { decodeFrame(Buffer.from(bytes)); } catch (e) { assert.ok(e instanceof WireError, String(e)); }
  }), { numRuns: 2000 });
  assert.throws(() => new FrameSplitter().push(Buffer.from([0xff, 0xff, 0xff, 0x7f])), /frame of 2147483647 bytes announced/);
});
