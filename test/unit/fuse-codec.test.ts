// The FUSE structures byte by byte, as include/uapi/linux/fuse.h lays them out: what the kernel
// reads from our replies, and the directory records it walks with the offsets we give.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { BigIntStats } from 'node:fs';
import { cstring, entryOut, initOut, outHeader, packDirents, readHeader } from '../../src/fuse/codec.js';
import { ENTRY_OUT, INIT_FLAGS, INIT_OUT, MAX_WRITE } from '../../src/fuse/kernel.js';

test('headers: the request header is read at its offsets; the reply header carries length, errno and unique', () => {
  const req = Buffer.alloc(48);
  req.writeUInt32LE(48, 0); req.writeUInt32LE(1, 4); req.writeBigUInt64LE(77n, 8); req.writeBigUInt64LE(5n, 16);
  req.writeUInt32LE(1000, 24); req.writeUInt32LE(100, 28); req.writeUInt32LE(4242, 32);
  assert.deepEqual(readHeader(req), { len: 48, opcode: 1, unique: 77n, nodeid: 5n, uid: 1000, gid: 100, pid: 4242 });
  const out = outHeader(77n, -2, 10);
  assert.deepEqual([out.readUInt32LE(0), out.readInt32LE(4), out.readBigUInt64LE(8)], [26, -2, 77n]);
});

test('INIT: we answer 7.31 at most, 1 MiB writes, and only flags the kernel offered', () => {
  const body = Buffer.alloc(64);
  body.writeUInt32LE(7, 0); body.writeUInt32LE(45, 4); body.writeUInt32LE(131072, 8);
  body.writeUInt32LE(INIT_FLAGS.ASYNC_READ | INIT_FLAGS.BIG_WRITES | (1 << 12), 12); // no MAX_PAGES offered
  const { reply, kernel } = initOut(body);
  assert.equal(kernel, '7.45');
  assert.equal(reply.length, INIT_OUT);
  assert.deepEqual([reply.readUInt32LE(0), reply.readUInt32LE(4), reply.readUInt32LE(8)], [7, 31, 131072]);
  assert.equal(reply.readUInt32LE(12), INIT_FLAGS.ASYNC_READ | INIT_FLAGS.BIG_WRITES, 'nothing the kernel did not offer, nothing we do not handle');
  assert.equal(reply.readUInt32LE(20), MAX_WRITE);
  body.writeUInt32LE(28, 4);
  assert.equal(initOut(body).reply.readUInt32LE(4), 28, 'an older kernel gets its own minor version');
});

test('entries carry the node id and nanosecond times; names are NUL-terminated', () => {
  const st = { ino: 9n, size: 5n, blocks: 8n, atimeNs: 1_600_000_000_123_456_789n, mtimeNs: 2_000_000_000n, ctimeNs: 3n, mode: 0o100644n, nlink: 1n, uid: 1000n, gid: 100n, rdev: 0n, blksize: 4096n } as unknown as BigIntStats;
  const e = entryOut(12n, st, { entry: 1n, attr: 2n });
  assert.equal(e.length, ENTRY_OUT);
  assert.deepEqual([e.readBigUInt64LE(0), e.readBigUInt64LE(16), e.readBigUInt64LE(24)], [12n, 1n, 2n]);
  const attr = 40;
  assert.equal(e.readBigUInt64LE(attr), 9n);
  assert.equal(e.readBigUInt64LE(attr + 24), 1_600_000_000n);
  assert.equal(e.readUInt32LE(attr + 48), 123_456_789);
  assert.equal(e.readUInt32LE(attr + 60), 0o100644);
  const names = Buffer.from('old\0new\0');
  const first = cstring(names, 0);
  assert.deepEqual([first.value, cstring(names, first.next).value], ['old', 'new']);
});

test('directory records: 8-byte aligned, each offset names the next entry, cut where the buffer ends', () => {
  const entries = ['.', '..', 'a', 'longer-name'].map((name) => ({ name, type: 8, ino: 1n }));
  const all = packDirents(entries, 0, 4096);
  const walk = (b: Buffer) => {
    const out: { name: string; off: bigint }[] = [];
    for (let at = 0; at < b.length;) {
      const len = b.readUInt32LE(at + 16);
      out.push({ name: b.toString('utf8', at + 24, at + 24 + len), off: b.readBigUInt64LE(at + 8) });
      at += (24 + len + 7) & ~7;
    }
    return out;
  };
  assert.deepEqual(walk(all), [{ name: '.', off: 1n }, { name: '..', off: 2n }, { name: 'a', off: 3n }, { name: 'longer-name', off: 4n }]);
  const two = packDirents(entries, 0, 64);
  assert.deepEqual(walk(two).map((x) => x.name), ['.', '..'], 'a record that does not fit is left for the next call');
  assert.deepEqual(walk(packDirents(entries, 2, 4096)).map((x) => x.name), ['a', 'longer-name'], 'the next call resumes at the offset');
});
