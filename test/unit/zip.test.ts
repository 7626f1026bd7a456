// .safe packages are zips: what we write, our reader and Debian's unzip read back; a package that
// would write outside its directory, or is corrupt, is refused with the reason.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readZip, writeZip, ZipError } from '../../src/catalog/zip.js';

const entries = [
  { name: 'conf/userconfig.xml', data: Buffer.from('<safe/>\n'), mode: 0o644 },
  { name: 'bin/start_prim', data: Buffer.from('#!/bin/sh\necho started\n'), mode: 0o755 },
  { name: 'data/big', data: Buffer.alloc(300_000, 7), mode: 0o600 },
];

test('a zip we write reads back with names, contents and modes', () => {
  const back = readZip(writeZip(entries));
  assert.deepEqual(back.map((e) => [e.name, e.mode, e.data.toString('base64')]), entries.map((e) => [e.name, e.mode, e.data.toString('base64')]));
});

test('Debian unzip extracts our zip with the same files and executable bits', { skip: spawnSync('unzip', ['-v']).status !== 0 ? 'unzip is not installed' : false }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'zip-'));
  try {
    writeFileSync(join(dir, 'm.safe'), writeZip(entries));
    const r = spawnSync('unzip', ['-q', 'm.safe', '-d', 'out'], { cwd: dir, encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(readFileSync(join(dir, 'out/bin/start_prim'), 'utf8'), '#!/bin/sh\necho started\n');
    assert.equal(statSync(join(dir, 'out/bin/start_prim')).mode & 0o777, 0o755);
    assert.equal(readFileSync(join(dir, 'out/data/big')).length, 300_000);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('names that escape the target, corrupt data and non-zips are refused with the reason', () => {
  for (const name of ['../evil', '/etc/passwd', 'a/../../b', 'a\\b']) {
    assert.throws(() => readZip(writeZip([{ name, data: Buffer.from('x'), mode: 0o644 }])), (e: Error) => e instanceof ZipError && /outside the target directory/.test(e.message), name);
  }
  const good = writeZip(entries.slice(0, 1));
  const corrupt = Buffer.from(good);
  corrupt[35 + 'conf/userconfig.xml'.length] ^= 0xff; // a byte of the compressed data
  assert.throws(() => readZip(corrupt), ZipError);
  assert.throws(() => readZip(Buffer.from('not a zip at all, just some text here')), /not a zip file/);
  assert.throws(() => readZip(good.subarray(0, good.length - 30)), ZipError);
});

test('random bytes never crash the reader: they read or give a ZipError', () => {
  let seed = 42;
  const next = () => (seed = (seed * 1103515245 + 12345) >>> 0);
  const good = writeZip(entries.slice(0, 2));
  for (let i = 0; i < 2000; i++) {
    const b = Buffer.from(good);
    for (let k = 0; k < 1 + (next() % 4); k++) b[next() % b.length] = next() & 0xff;
    try { readZip(b); } catch (e) { assert.ok(e instanceof ZipError, `mutation ${i}: ${(e as Error).stack}`); }
  }
});
