// POSIX ACLs through the FUSE mount, as on the disk (INIT POSIX_ACL: the kernel enforces them): a
// user an ACL lets in reads a file its mode alone would refuse, and is refused again once the ACL
// is removed; in a directory with a default ACL a new file and directory inherit it and the
// creator's umask does not apply — the same modes and ACLs as the same steps on a plain directory
// of the same file system. The copy the mutation stream was applied to has them too.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { serve, type Served } from '../fuse-serve.js';

const skip = process.getuid?.() !== 0 ? 'mounts a FUSE file system and switches users: needs root'
  : !fs.existsSync('/dev/fuse') ? 'needs /dev/fuse'
  : spawnSync('setfacl', ['--version']).error ? 'needs setfacl (Debian package acl; scripts/install-deps.sh installs it)' : false;

/** Runs a shell command as nobody (umask 077, no supplementary groups). */
const asNobody = (script: string) => spawnSync('setpriv', ['--reuid=nobody', '--regid=nogroup', '--clear-groups', 'sh', '-c', `umask 077; ${script}`], { encoding: 'utf8' });

function run(argv: string[]): string {
  const r = spawnSync(argv[0], argv.slice(1), { encoding: 'utf8' });
  assert.equal(r.status, 0, `${argv.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

/** A directory nobody may create in only through its ACL, whose default ACL lets nobody in; then nobody creates in it. */
function inheritIn(base: string): { file: string; dir: string; fileAcl: string; dirAcl: string } {
  const dd = join(base, 'shared');
  fs.mkdirSync(dd, 0o700);
  run(['setfacl', '-d', '-m', 'u:nobody:rwx', dd]);
  run(['setfacl', '-m', 'u:nobody:rwx', dd]);
  const r = asNobody(`echo hi > ${dd}/made && mkdir ${dd}/sub`);
  assert.equal(r.status, 0, `nobody creates in a directory its ACL opens: ${r.stderr}`);
  const mode = (p: string) => (fs.statSync(p).mode & 0o7777).toString(8);
  return { file: mode(join(dd, 'made')), dir: mode(join(dd, 'sub')), fileAcl: run(['getfacl', '-c', '-n', join(dd, 'made')]), dirAcl: run(['getfacl', '-c', '-n', join(dd, 'sub')]) };
}

test('POSIX ACLs through the FUSE mount: enforced, inherited, replicated', { skip, timeout: 60_000 }, async () => {
  const base = fs.mkdtempSync(join(tmpdir(), 'fuse-acl-'));
  fs.chmodSync(base, 0o755); // nobody walks down to the entries
  const [dir, copy, plain] = ['mounted', 'copy', 'plain'].map((d) => join(base, d));
  for (const d of [dir, copy, plain]) fs.mkdirSync(d, 0o755);
  let served: Served | null = null;
  try {
    served = await serve([dir, '--copy', copy]);
    const f = join(dir, 'secret');
    fs.writeFileSync(f, 'for root and nobody\n', { mode: 0o600 });
    assert.notEqual(asNobody(`cat ${f}`).status, 0, 'mode 600: nobody is refused');
    run(['setfacl', '-m', 'u:nobody:r', f]);
    const read = asNobody(`cat ${f}`);
    assert.equal(read.status, 0, `the ACL lets nobody read: ${read.stderr}`);
    assert.equal(read.stdout, 'for root and nobody\n');
    run(['setfacl', '-b', f]);
    assert.notEqual(asNobody(`cat ${f}`).status, 0, 'ACL removed: nobody is refused again');

    const through = inheritIn(dir);
    const onDisk = inheritIn(plain);
    assert.deepEqual(through, onDisk, 'the same modes and ACLs as on the file system itself');
    assert.equal(through.file, '660', 'the default ACL, not the umask 077, decides (its mask rw for a file)');

    served.child.kill('SIGTERM');
    await served.exited;
    for (const rel of ['secret', 'shared', 'shared/made', 'shared/sub']) {
      assert.equal(fs.statSync(join(copy, rel)).mode, fs.statSync(join(dir, rel)).mode, `${rel}: the copy's mode`);
      assert.equal(run(['getfacl', '-c', '-n', join(copy, rel)]), run(['getfacl', '-c', '-n', join(dir, rel)]), `${rel}: the copy's ACL`);
    }
    assert.doesNotMatch(served.err(), /copy: /, 'every mutation applied to the copy');
  } finally {
    if (served?.child.exitCode === null) served.child.kill('SIGKILL');
    spawnSync('umount', ['-l', dir]);
    fs.rmSync(base, { recursive: true, force: true });
  }
});
