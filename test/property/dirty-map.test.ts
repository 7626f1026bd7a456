// The dirty map is enough: a secondary that left with a copy of the files, patched afterwards with
// only what the map lists (removed names deleted; for each changed file, all of it when `whole`,
// else its size when `meta` and its dirty ranges), ends byte for byte equal to the primary, after
// any sequence of writes, truncates, fallocates (allocate, keep size, punch a hole, zero a range,
// collapse, insert), creates, unlinks and renames. Files only, flat names.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { Mutation } from '../../src/fuse/passthrough.js';
import { addRange, DirtyMap } from '../../src/replication/dirty-map.js';

type Tree = Map<string, Buffer>;
const NAMES = ['a', 'b', 'c', 'd'];

function apply(t: Tree, m: Mutation): void {
  switch (m.op) {
    case 'write': {
      if (m.data.length === 0) return; // write(2) of nothing changes nothing, not even the size
      const old = t.get(m.path)!;
      const next = Buffer.alloc(Math.max(old.length, m.offset + m.data.length));
      old.copy(next);
      m.data.copy(next, m.offset);
      t.set(m.path, next);
      return;
    }
    case 'truncate': {
      const old = t.get(m.path)!;
      const next = Buffer.alloc(m.size);
      old.copy(next, 0, 0, Math.min(old.length, m.size));
      t.set(m.path, next);
      return;
    }
    case 'fallocate': t.set(m.path, fallocated(t.get(m.path)!, m.mode, m.offset, m.length)); return;
    case 'create': t.set(m.path, Buffer.alloc(0)); return;
    case 'unlink': t.delete(m.path); return;
    case 'rename': t.set(m.to, t.get(m.from)!); t.delete(m.from); return;
    default: return;
  }
}

/** What fallocate(2) leaves in a file's content (FALLOC_FL_* in `mode`). */
function fallocated(old: Buffer, mode: number, offset: number, length: number): Buffer {
  const [KEEP_SIZE, PUNCH_HOLE, COLLAPSE, ZERO, INSERT] = [1, 2, 8, 0x10, 0x20];
  if (mode & COLLAPSE) return Buffer.concat([old.subarray(0, offset), old.subarray(offset + length)]);
  if (mode & INSERT) return Buffer.concat([old.subarray(0, offset), Buffer.alloc(length), old.subarray(offset)]);
  const size = mode & KEEP_SIZE ? old.length : Math.max(old.length, offset + length);
  const next = Buffer.alloc(size);
  old.copy(next, 0, 0, Math.min(old.length, size));
  if (mode & (PUNCH_HOLE | ZERO)) next.fill(0, offset, Math.min(size, offset + length));
  return next;
}

/** A valid mutation for the current tree, chosen by `pick`. */
function next(t: Tree, pick: { kind: number; name: number; other: number; offset: number; bytes: number[] }): Mutation {
  const existing = [...t.keys()];
  const absent = NAMES.filter((n) => !t.has(n));
  const kinds = [...(existing.length ? ['write', 'truncate', 'fallocate', 'unlink', 'rename'] : []), ...(absent.length ? ['create'] : [])];
  const kind = kinds[pick.kind % kinds.length];
  const file = existing[pick.name % Math.max(1, existing.length)];
  switch (kind) {
    case 'write': return { op: 'write', path: file, offset: pick.offset, data: Buffer.from(pick.bytes) };
    case 'truncate': return { op: 'truncate', path: file, size: pick.offset };
    case 'fallocate': {
      // collapse and insert take a range inside the file; the others any
      const size = t.get(file)!.length;
      const mode = [0, 1, 3, 0x10, 0x11, 8, 0x20][pick.other % 7];
      const offset = mode === 8 || mode === 0x20 ? Math.min(pick.offset, size) : pick.offset;
      const length = mode === 8 ? Math.min(pick.bytes.length, size - offset) : pick.bytes.length + 1;
      return { op: 'fallocate', path: file, mode, offset, length };
    }
    case 'unlink': return { op: 'unlink', path: file };
    case 'rename': {
      const to = NAMES[pick.other % NAMES.length];
      return to === file ? { op: 'truncate', path: file, size: pick.offset } : { op: 'rename', from: file, to, noReplace: false };
    }
    default: return { op: 'create', path: absent[pick.name % absent.length], mode: 0o644, uid: 0, gid: 0 };
  }
}

test('ranges merge into sorted, non-touching runs', () => {
  let r = addRange([], 10, 20);
  r = addRange(r, 30, 40);
  r = addRange(r, 20, 30);
  assert.deepEqual(r, [[10, 40]]);
  assert.deepEqual(addRange([[0, 5]], 7, 9), [[0, 5], [7, 9]]);
  assert.deepEqual(addRange([[0, 5]], 3, 3), [[0, 5]], 'an empty write adds nothing');
});

test('reintegrating only what the map lists rebuilds the primary exactly', () => {
  const pick = fc.record({ kind: fc.nat(), name: fc.nat(), other: fc.nat(), offset: fc.integer({ min: 0, max: 40 }), bytes: fc.array(fc.integer({ min: 1, max: 255 }), { maxLength: 12 }) });
  fc.assert(fc.property(fc.array(pick, { maxLength: 40 }), fc.array(fc.integer({ min: 0, max: 255 }), { maxLength: 20 }), (picks, seed) => {
    const primary: Tree = new Map([['a', Buffer.from(seed)], ['b', Buffer.from('bee')]]);
    const secondary: Tree = new Map([...primary].map(([k, v]) => [k, Buffer.from(v)]));
    const map = new DirtyMap();
    for (const p of picks) {
      const m = next(primary, p);
      apply(primary, m);
      map.record(m);
    }
    const { changed, removed } = DirtyMap.from(JSON.parse(JSON.stringify(map.snapshot())) as ReturnType<DirtyMap['snapshot']>).snapshot();
    assert.equal(map.entries(), Object.keys(changed).length + removed.length, 'entries() counts what snapshot() lists');
    for (const name of removed) secondary.delete(name);
    for (const [name, e] of Object.entries(changed)) {
      const source = primary.get(name);
      if (!source) { secondary.delete(name); continue; }
      if (e.whole || !secondary.has(name)) { secondary.set(name, Buffer.from(source)); continue; }
      let copy = secondary.get(name)!;
      if (e.meta || copy.length !== source.length) {
        const resized = Buffer.alloc(source.length);
        copy.copy(resized, 0, 0, Math.min(copy.length, source.length));
        copy = resized;
      }
      for (const [a, b] of e.ranges) if (a < source.length) source.copy(copy, a, a, Math.min(b, source.length)); // as zoneOps: a range past the end is nothing
      secondary.set(name, copy);
    }
    assert.deepEqual([...secondary].sort(), [...primary].sort());
  }), { numRuns: 1000 });
});

test('directories: a renamed directory takes its dirty files along and is sent whole; rmdir forgets what was below', () => {
  const map = new DirtyMap();
  const data = Buffer.from('xy');
  map.record({ op: 'write', path: 'd/f', offset: 4, data });
  map.record({ op: 'write', path: 'keep', offset: 0, data });
  map.record({ op: 'rename', from: 'd', to: 'e', noReplace: false });
  let s = map.snapshot();
  assert.deepEqual(Object.keys(s.changed), ['e', 'e/f', 'keep']);
  assert.deepEqual(s.changed['e/f'], { ranges: [[4, 6]], meta: false, whole: true });
  assert.equal(s.changed.e.whole, true, 'the new name of a directory is sent with its subtree');
  assert.deepEqual(s.removed, ['d']);
  map.record({ op: 'rmdir', path: 'e' });
  s = map.snapshot();
  assert.deepEqual(Object.keys(s.changed), ['keep']);
  assert.deepEqual(s.removed, ['d', 'e']);
  assert.equal(map.dirtyBytes(), 2);
  map.record({ op: 'mkdir', path: 'e', mode: 0o755, uid: 0, gid: 0 });
  assert.deepEqual(map.snapshot().removed, ['d'], 'a name made again is a change, not a removal');
});
