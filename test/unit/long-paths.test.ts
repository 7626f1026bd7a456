// Paths past PATH_MAX (long-paths.ts): an entry 6 000 bytes deep is created, written and read
// through Reach, and another program, walking down one directory at a time, finds the same content; the
// descriptors opened on the way are closed by release() (or at the next turn, for `reachable`).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Reach, reachable } from '../../src/fuse/long-paths.js';

const openFds = () => fs.readdirSync('/proc/self/fd').length;

test('an entry deeper than PATH_MAX is reached through descriptors of the directories on the way', () => {
  const base = fs.mkdtempSync(join(tmpdir(), 'long-'));
  const reach = new Reach();
  try {
    const parts = Array.from({ length: 24 }, (_, i) => `${String(i).padStart(2, '0')}${'d'.repeat(248)}`);
    let dir = base;
    for (const p of parts) {
      dir = `${dir}/${p}`;
      fs.mkdirSync(reach.path(dir));
      reach.release();
    }
    const file = `${dir}/data.txt`;
    assert.ok(Buffer.byteLength(file) > 6000);
    assert.throws(() => fs.writeFileSync(file, 'x'), /ENAMETOOLONG/, 'the kernel refuses the path itself');
    const before = openFds();
    fs.writeFileSync(reach.path(file), 'deep down\n');
    assert.ok(openFds() > before, 'directories held open for the path');
    assert.equal(fs.readFileSync(reach.path(file), 'utf8'), 'deep down\n');
    reach.release();
    assert.equal(openFds(), before, 'release closes them');
    assert.equal(reach.path(`${base}/short`), `${base}/short`, 'a short path is itself');
    assert.equal(openFds(), before);
    // Perl's chdir(2) one relative step at a time (sh's cd keeps the whole logical path)
    const down = 'for my $d (@ARGV[0 .. $#ARGV - 1]) { chdir $d or die "$d: $!" } open my $f, "<", $ARGV[-1] or die $!; print <$f>';
    const perl = spawnSync('perl', ['-e', down, base, ...parts, 'data.txt'], { encoding: 'utf8' });
    assert.equal(perl.stdout, 'deep down\n', perl.stderr);
  } finally {
    reach.release();
    spawnSync('rm', ['-rf', base]);
  }
});

test('the shared reachable releases its descriptors at the next turn of the event loop', async () => {
  const base = fs.mkdtempSync(join(tmpdir(), 'long-'));
  try {
    let dir = base;
    for (let i = 0; i < 20; i++) { dir = `${dir}/${'e'.repeat(250)}`; fs.mkdirSync(reachable(dir)); }
    await new Promise((r) => setImmediate(r));
    const before = openFds();
    assert.ok(fs.statSync(reachable(dir)).isDirectory());
    assert.ok(openFds() > before);
    await new Promise((r) => setImmediate(r));
    assert.equal(openFds(), before);
  } finally {
    spawnSync('rm', ['-rf', base]);
  }
});
