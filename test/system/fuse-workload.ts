// The application side of test/system/fuse-passthrough.test.ts, in its own process: a request the
// FUSE server never answered would block a synchronous call for ever, and only a process the test
// can kill gets it out of that (node's test timeout cannot interrupt a blocked system call).
//
//   node dist/test/system/fuse-workload.js MOUNTED_DIR   → exit 0, or the failed assertion
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import { join } from 'node:path';

const dir = process.argv[2];
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const p = (name: string) => join(dir, name);

assert.equal(fs.readFileSync(p('before.txt'), 'utf8'), 'written before the mount\n', 'files under the mount are visible through it');
fs.appendFileSync(p('before.txt'), 'appended\n');
const big = randomBytes(3 * 1024 * 1024 + 17);
fs.writeFileSync(p('big.bin'), big);
assert.equal(sha(fs.readFileSync(p('big.bin'))), sha(big));
fs.mkdirSync(p('d'));
fs.writeFileSync(p('d/one'), '1');
fs.writeFileSync(p('d/two'), '2');
fs.renameSync(p('d/one'), p('d/two')); // over an existing file
assert.equal(fs.readFileSync(p('d/two'), 'utf8'), '1');
fs.renameSync(p('d'), p('e')); // a directory
assert.deepEqual(fs.readdirSync(p('e')), ['two']);
const fd = fs.openSync(p('e/two'), 'r');
fs.unlinkSync(p('e/two')); // unlink of an open file: still readable through its descriptor
assert.equal(fs.readFileSync(fd, 'utf8'), '1');
fs.closeSync(fd);
fs.symlinkSync('before.txt', p('link'));
assert.equal(fs.readlinkSync(p('link')), 'before.txt');
fs.chmodSync(p('big.bin'), 0o640);
fs.chownSync(p('big.bin'), 1000, 1000);
fs.truncateSync(p('big.bin'), 1000); // before utimes: a truncate sets mtime, as on any file system
fs.utimesSync(p('big.bin'), 1_600_000_000, 1_600_000_000.5);
const st = fs.statSync(p('big.bin'));
assert.deepEqual([st.mode & 0o7777, st.uid, st.gid, st.size, st.mtimeMs], [0o640, 1000, 1000, 1000, 1_600_000_000_500]);
fs.mkdirSync(p('many'));
for (let i = 0; i < 2000; i++) fs.writeFileSync(p(`many/f${i}`), '');
assert.equal(fs.readdirSync(p('many')).length, 2000);
assert.throws(() => fs.linkSync(p('before.txt'), p('hard')), /EPERM/, 'hard links are refused');
const fdApp = fs.openSync(p('log'), 'a');
fs.writeSync(fdApp, 'a\n');
fs.writeSync(fdApp, 'b\n');
fs.fsyncSync(fdApp);
fs.closeSync(fdApp);
assert.equal(fs.readFileSync(p('log'), 'utf8'), 'a\nb\n');

// special files: a FIFO and a character device (made with mknod(1) underneath)
assert.equal(spawnSync('mkfifo', ['-m', '0600', p('fifo')]).status, 0);
assert.ok(fs.statSync(p('fifo')).isFIFO());
assert.equal(spawnSync('mknod', [p('null'), 'c', '1', '3']).status, 0);
assert.ok(fs.statSync(p('null')).isCharacterDevice());
// fallocate(2), with fallocate(1): allocate past the end, punch a hole, zero a range (FUSE passes
// no other mode: collapse and insert are refused by the kernel with EOPNOTSUPP)
fs.writeFileSync(p('db'), Buffer.alloc(16384, 7));
const fallocate = (...args: string[]) => {
  const r = spawnSync('fallocate', [...args, p('db')], { encoding: 'utf8' });
  assert.equal(r.status, 0, `fallocate ${args.join(' ')}: ${r.stderr}`);
};
fallocate('-l', '65536');
assert.equal(fs.statSync(p('db')).size, 65536);
fallocate('-p', '-o', '4096', '-l', '4096');
fallocate('-z', '-o', '8192', '-l', '4096');
const db = fs.readFileSync(p('db'));
const all = (from: number, to: number, v: number) => db.subarray(from, to).every((b) => b === v);
assert.ok(all(0, 4096, 7) && all(4096, 12288, 0) && all(12288, 16384, 7) && all(16384, 65536, 0), 'the hole and the zeroed range read as zeros, the rest as written');
// a file renamed while open is written under its new name (log rotation); a file unlinked while
// open is written nowhere else, even when its old name is taken again
const rotated = fs.openSync(p('app.log'), 'a');
fs.writeSync(rotated, 'one\n');
fs.renameSync(p('app.log'), p('app.log.1'));
fs.writeSync(rotated, 'two\n');
fs.closeSync(rotated);
assert.equal(fs.readFileSync(p('app.log.1'), 'utf8'), 'one\ntwo\n');
fs.renameSync(p('app.log.1'), p('app.log.1')); // onto itself: nothing changes
assert.equal(fs.readFileSync(p('app.log.1'), 'utf8'), 'one\ntwo\n');
const orphan = fs.openSync(p('reused'), 'w', 0o644);
fs.writeSync(orphan, 'old');
fs.unlinkSync(p('reused'));
fs.writeFileSync(p('reused'), 'new', { mode: 0o644 });
fs.writeSync(orphan, ' and more');
fs.ftruncateSync(orphan, 2);
fs.fchmodSync(orphan, 0o600);
assert.equal(fs.fstatSync(orphan).mode & 0o777, 0o600, 'the unlinked file itself changed');
fs.closeSync(orphan);
assert.equal(fs.readFileSync(p('reused'), 'utf8'), 'new');
const ghost = fs.openSync(p('ghost'), 'w+');
fs.writeSync(ghost, 'the unlinked one');
fs.unlinkSync(p('ghost'));
fs.writeFileSync(p('ghost'), 'the new one');
const reopened = fs.openSync(`/proc/self/fd/${ghost}`, 'r'); // the unlinked file again, not the new one of that name
assert.equal(fs.readFileSync(reopened, 'utf8'), 'the unlinked one');
fs.closeSync(reopened);
fs.closeSync(ghost);
assert.equal(fs.readFileSync(p('ghost'), 'utf8'), 'the new one');
assert.equal(fs.statSync(p('reused')).mode & 0o777, 0o644, 'the new file at the old name did not');

// extended attributes and ACLs, with attr(1) and acl(1): set, read, list, remove, create-only
const tool = (cmd: string, ...args: string[]) => spawnSync(cmd, args, { encoding: 'utf8' });
const ok = (cmd: string, ...args: string[]) => { const r = tool(cmd, ...args); assert.equal(r.status, 0, `${cmd} ${args.join(' ')}: ${r.stderr}`); return r.stdout; };
fs.writeFileSync(p('tagged'), 'x');
ok('setfattr', '-n', 'user.colour', '-v', 'blue', p('tagged'));
ok('setfattr', '-n', 'user.bytes', '-v', '0x00ff00', p('tagged'));
assert.equal(ok('getfattr', '--only-values', '-n', 'user.colour', p('tagged')), 'blue');
assert.match(ok('getfattr', '-d', '-e', 'hex', p('tagged')), /user\.bytes=0x00ff00\n[\s\S]*user\.colour=0x626c7565/);
ok('setfattr', '-x', 'user.bytes', p('tagged'));
assert.match(tool('getfattr', '-n', 'user.bytes', p('tagged')).stderr, /No such attribute/);
ok('setfacl', '-m', 'u:1000:rw', p('tagged'));
assert.match(ok('getfacl', '-n', '-p', p('tagged')), /user:1000:rw-/);
// `ls -l` asks every entry for its ACL: one helper process per directory, not per entry
const listed = Date.now();
ok('ls', '-l', p('many'));
assert.ok(Date.now() - listed < 5000, `ls -l of 2000 entries took ${Date.now() - listed} ms`);
// locks between processes of this node: flock(2), and POSIX record locks (fcntl F_SETLK, from Perl:
// struct flock on x86_64 is type, whence, 4 bytes of padding, start, len, pid, padding)
fs.writeFileSync(p('locked'), 'x');
assert.equal(tool('flock', '-x', p('locked'), 'flock', '-n', '-E', '7', p('locked'), 'true').status, 7, 'a second flock of a locked file fails');
assert.equal(tool('flock', '-n', p('locked'), 'true').status, 0, 'the lock is free once its holder exited');
const posixLock = `use Fcntl; my $lk = pack("s s x4 q q i x4", F_WRLCK, 0, 0, 0, 0);
  open(my $f, "+<", $ARGV[0]) or die "open: $!"; fcntl($f, F_SETLK, $lk) or die "lock: $!";
  my $pid = fork; if ($pid == 0) { open(my $g, "+<", $ARGV[0]) or die; exit(fcntl($g, F_SETLK, $lk) ? 0 : 7); }
  waitpid($pid, 0); exit($? >> 8);`;
assert.equal(tool('perl', '-e', posixLock, p('locked')).status, 7, 'a second process cannot take a record lock held by another');
process.stdout.write(`${JSON.stringify({ bigLength: big.length })}\n`);
