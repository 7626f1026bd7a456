// The hashing threads of the full synchronisation and rfsverify (hasher.ts): the hashes are those
// of each block whatever runs the file was cut into and whatever order the threads finished in; a
// file gone is told apart from a file that cannot be read; an aborted hashAhead stops.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BLOCK } from '../../src/replication/blocks.js';
import { BlockHasher } from '../../src/replication/hasher.js';
import { hashAhead } from '../../src/replication/manifest.js';
import { EVERYTHING } from '../../src/config/filters.js';

const blockHashes = (data: Buffer): string[] => {
  const out: string[] = [];
  for (let at = 0; at < data.length; at += BLOCK) out.push(createHash('sha1').update(data.subarray(at, at + BLOCK)).digest('hex'));
  return out;
};

test('block hashes of files of every size, several at once, equal each block\'s own SHA-1', async () => {
  const dir = fs.mkdtempSync(join(tmpdir(), 'hasher-'));
  const hasher = new BlockHasher(3);
  try {
    // 0 bytes, one partial block, one block exactly, and past one run of 256 blocks (two runs, the last partial)
    const sizes = [0, 5, BLOCK, 300 * BLOCK + 17];
    const files = sizes.map((size, i) => {
      const data = Buffer.alloc(size);
      for (let at = 0; at < size; at += 4096) data.writeUInt32LE(at * 7 + i, at); // every block different
      fs.writeFileSync(join(dir, `f${i}`), data);
      return data;
    });
    const got = await Promise.all(sizes.map((size, i) => hasher.hash(join(dir, `f${i}`), size)));
    got.forEach((hashes, i) => assert.deepEqual(hashes?.map((h) => h.toString('hex')), blockHashes(files[i]), `file of ${sizes[i]} bytes`));
    assert.equal(await hasher.hash(join(dir, 'gone'), 10), null, 'a file gone meanwhile');
    const shrunk = await hasher.hash(join(dir, 'f1'), 400 * BLOCK);
    assert.deepEqual(shrunk?.map((h) => h.toString('hex')), blockHashes(files[1]), 'a file shorter than listed: the blocks it has');
    await assert.rejects(hasher.hash(dir, BLOCK), /EISDIR|illegal operation/, 'a read that fails is an error, not a missing file');
  } finally {
    await hasher.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('hashAhead hashes every file of the tree, and nothing once aborted', async () => {
  const dir = fs.mkdtempSync(join(tmpdir(), 'hasher-'));
  const hasher = new BlockHasher(2);
  try {
    fs.mkdirSync(join(dir, 'sub'));
    for (let i = 0; i < 40; i++) fs.writeFileSync(join(dir, 'sub', `f${i}`), `file ${i}\n`);
    const all = new Map<string, Buffer[]>();
    await hashAhead(dir, EVERYTHING, all, new AbortController().signal, hasher);
    assert.equal(all.size, 40);
    assert.equal(all.get('sub/f7')?.[0].toString('hex'), createHash('sha1').update('file 7\n').digest('hex'));
    const stopped = new AbortController();
    stopped.abort();
    const none = new Map<string, Buffer[]>();
    await hashAhead(dir, EVERYTHING, none, stopped.signal, hasher);
    assert.equal(none.size, 0);
  } finally {
    await hasher.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
