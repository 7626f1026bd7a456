// The full synchronisation's comparison (resync.ts fullOps, manifest.ts hashAhead): whatever the
// primary had hashed ahead while the secondary described its copy — everything, part of it, or
// nothing — the copy comes out identical, only the blocks that differ are sent, and an entry
// the copy already has as it is costs nothing; extended attributes end up the same.
import { EVERYTHING } from '../../src/config/filters.js';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CopyApplier } from '../../src/replication/apply.js';
import { BLOCK, compareManifests, describe, hashAhead, type ManifestEntry } from '../../src/replication/manifest.js';
import { listXattrs, setXattr } from '../../src/fuse/syscalls.js';
import { fullOps, type ResyncTally } from '../../src/replication/resync.js';
import { BlockHasher } from '../../src/replication/hasher.js';
import { treeOf } from '../tree.js';


/** A primary tree and a copy that differs in two blocks of one file, one whole file and one extra file. */
function pairOfTrees(): { primary: string; copy: string; differing: number } {
  const base = fs.mkdtempSync(join(tmpdir(), 'full-sync-'));
  const [primary, copy] = [join(base, 'primary'), join(base, 'copy')];
  for (const d of [primary, copy]) fs.mkdirSync(join(d, 'sub'), { recursive: true });
  const big = Buffer.alloc(10 * BLOCK + 100, 3);
  fs.writeFileSync(join(primary, 'big.bin'), big);
  big.fill(9, 2 * BLOCK, 2 * BLOCK + 10); // block 2 differs
  big.fill(9, 10 * BLOCK); // the last, partial block differs
  fs.writeFileSync(join(copy, 'big.bin'), big);
  fs.writeFileSync(join(primary, 'sub/same.txt'), 'same on both\n');
  fs.writeFileSync(join(copy, 'sub/same.txt'), 'same on both\n');
  const when = new Date('2026-01-02T03:04:05Z');
  for (const d of [primary, copy]) fs.utimesSync(join(d, 'sub/same.txt'), when, when);
  fs.writeFileSync(join(primary, 'sub/new.txt'), 'only on the primary\n');
  fs.writeFileSync(join(copy, 'extra.txt'), 'only on the copy\n');
  fs.linkSync(join(primary, 'sub/new.txt'), join(primary, 'sub/new-link.txt')); // a hard link: copied as two files
  // extended attributes: the same on both, only on the primary, only on the copy
  for (const d of [primary, copy]) setXattr(join(d, 'sub/same.txt'), 'user.kept', Buffer.from('1'), 0);
  setXattr(join(primary, 'big.bin'), 'user.tag', Buffer.from([0, 1, 2]), 0);
  setXattr(join(copy, 'sub'), 'user.stale', Buffer.from('x'), 0);
  return { primary, copy, differing: BLOCK + 100 + 2 * 'only on the primary\n'.length };
}

async function manifestOf(dir: string): Promise<ManifestEntry[]> {
  const entries: ManifestEntry[] = [];
  await describe(dir, EVERYTHING, (batch) => entries.push(...batch));
  return entries;
}

for (const ahead of ['all', 'part', 'none'] as const) {
  test(`full sync with ${ahead} of the primary's hashes computed ahead: identical copy, only differing blocks sent`, async () => {
    const { primary, copy, differing } = pairOfTrees();
    const theirs = await manifestOf(copy);
    const known = new Map<string, Buffer[]>();
    const hasher = new BlockHasher(2);
    if (ahead !== 'none') await hashAhead(primary, EVERYTHING, known, new AbortController().signal, hasher);
    if (ahead === 'part') {
      // as if stopped early: some files not hashed, the others' hashes cut short
      [...known.keys()].filter((_, i) => i % 2 === 1).forEach((k) => known.delete(k));
      for (const hashes of known.values()) hashes.splice(3);
    }
    const tally: ResyncTally = { files: 0, bytes: 0 };
    const applier = new CopyApplier(copy);
    const touched = new Set<string>();
    for await (const op of fullOps({ root: primary, scope: EVERYTHING }, theirs, tally, known, ahead === 'all' ? hasher : undefined)) {
      touched.add('path' in op ? op.path : op.to);
      applier.apply(op);
    }
    await hasher.close();
    applier.closeAll();
    assert.deepEqual(treeOf(copy), treeOf(primary));
    assert.deepEqual(compareManifests(await manifestOf(primary), await manifestOf(copy)), [], 'extended attributes included');
    assert.deepEqual(listXattrs([join(copy, 'big.bin'), join(copy, 'sub')]), [new Map([['user.tag', Buffer.from([0, 1, 2])]]), new Map()]);
    assert.ok(!touched.has('sub/same.txt'), 'an entry the copy has as it is costs no operation');
    assert.deepEqual(tally.linked, ['sub/new-link.txt', 'sub/new.txt'], 'both names of the hard link are reported');
    assert.notEqual(fs.statSync(join(copy, 'sub/new.txt')).ino, fs.statSync(join(copy, 'sub/new-link.txt')).ino, 'two separate files on the copy');
    assert.equal(tally.bytes, differing, 'the two differing blocks of big.bin and the new file (twice: two names), nothing else');
    fs.rmSync(join(primary, '..'), { recursive: true, force: true });
  });
}
