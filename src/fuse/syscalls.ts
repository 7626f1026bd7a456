// System calls Node does not offer — mknod(2) for special files (FIFOs, sockets, devices),
// fallocate(2) and the extended attributes (l*xattr(2)) — made by a short Perl program, one
// process per call: Perl's `syscall` is in perl-base, which every Debian system has. A process
// start costs a few milliseconds, so callers batch what they can (listXattrs takes many paths)
// and cache (xattr-cache.ts); `spawnSync`'s timeout means a stuck helper cannot hang the FUSE
// worker for ever.
//
// Paths must be reachable by another process: /proc/<pid>/fd/N names our descriptor, /proc/self
// would name the child's. Errors come back as the call's errno (negative, as FUSE answers it).
// Symbolic links are never followed (the l* calls).

import { spawnSync } from 'node:child_process';
import { chmodSync } from 'node:fs';

/** Extended attributes of one entry: name → value. */
export type Xattrs = ReadonlyMap<string, Buffer>;

const PROGRAM = `
use strict; use warnings;
my ($arch, $op, @a) = @ARGV;
my %nr = (x64 => { mknodat => 259, fallocate => 285, lsetxattr => 189, lgetxattr => 192, llistxattr => 195, lremovexattr => 198 },
          arm64 => { mknodat => 33, fallocate => 47, lsetxattr => 6, lgetxattr => 9, llistxattr => 12, lremovexattr => 15 });
my $n = $nr{$arch} or do { print "-38\\n"; exit 0 };
binmode STDIN; binmode STDOUT;
sub err { return -($! + 0) }
sub attrs {
  my $p = shift() . "\\0";
  for (1 .. 5) {
    my $none = '';
    my $size = syscall($n->{llistxattr}, $p, $none, 0);
    return err() if $size < 0;
    return '0' if $size == 0;
    my $buf = "\\0" x $size;
    my $got = syscall($n->{llistxattr}, $p, $buf, $size);
    if ($got < 0) { next if $! + 0 == 34; return err(); }
    my @out;
    for my $name (split /\\0/, substr($buf, 0, $got)) {
      my $z = $name . "\\0";
      my $len = syscall($n->{lgetxattr}, $p, $z, $none, 0);
      if ($len < 0) { next if $! + 0 == 61; return err(); }
      my $v = "\\0" x ($len || 1);
      my $r = syscall($n->{lgetxattr}, $p, $z, $v, $len);
      if ($r < 0) { next if $! + 0 == 61 || $! + 0 == 34; return err(); }
      push @out, unpack('H*', $name) . ':' . unpack('H*', substr($v, 0, $r));
    }
    return join(' ', scalar(@out), @out);
  }
  return -34;
}
if ($op eq 'list') { local $/ = "\\0"; while (my $p = <STDIN>) { chomp $p; print attrs($p), "\\n"; } exit 0 }
my $r;
if ($op eq 'set') { local $/; my $v = <STDIN> // ''; $r = syscall($n->{lsetxattr}, "$a[0]\\0", "$a[1]\\0", $v, length($v), $a[2] + 0); }
elsif ($op eq 'remove') { $r = syscall($n->{lremovexattr}, "$a[0]\\0", "$a[1]\\0"); }
elsif ($op eq 'mknod') { $r = syscall($n->{mknodat}, -100, "$a[0]\\0", $a[1] + 0, $a[2] + 0); }
elsif ($op eq 'fallocate') {
  open(my $fh, '+<', $a[0]) or do { print err(), "\\n"; exit 0 };
  $r = syscall($n->{fallocate}, fileno($fh), $a[1] + 0, $a[2] + 0, $a[3] + 0);
}
else { print "-22\\n"; exit 0 }
print(($r < 0 ? err() : 0), "\\n");
`;

function helper(what: string, args: string[], input?: Buffer): string {
  const r = spawnSync('perl', ['-e', PROGRAM, process.arch, ...args], { input, timeout: 10_000, maxBuffer: 256 * 1024 * 1024 });
  if (r.status === 0) return r.stdout.toString('latin1');
  throw Object.assign(new Error(`${what}: ${r.error?.message ?? `the helper exited ${r.status ?? r.signal}: ${r.stderr.toString().trim()}`}`), { errno: -5 });
}

function call(what: string, args: string[], input?: Buffer): void {
  const errno = Number(helper(what, args, input).trim());
  if (errno === 0) return;
  throw Object.assign(new Error(`${what}: errno ${-errno}`), { errno: Number.isInteger(errno) && errno < 0 ? errno : -5 });
}

/** Makes a special file (mode holds its type); the permission bits are set afterwards, free of the child's umask. */
export function makeSpecial(path: string, mode: number, rdev: number): void {
  call(`mknod ${path}`, ['mknod', path, String(mode), String(rdev)]);
  chmodSync(path, mode & 0o7777);
}

/** fallocate(2) on the file at `path` (opened for reading and writing by the helper). */
export function fallocate(path: string, mode: number, offset: number, length: number): void {
  call(`fallocate ${path}`, ['fallocate', path, String(mode), String(offset), String(length)]);
}

/** The extended attributes of each path, in one helper process; a negative errno where they could not be read. */
export function listXattrs(paths: readonly string[]): (Xattrs | number)[] {
  if (paths.length === 0) return [];
  const lines = helper('listxattr', ['list'], Buffer.from(paths.map((p) => `${p}\0`).join(''))).split('\n');
  return paths.map((_, i) => {
    const [count, ...pairs] = (lines[i] ?? '-5').split(' ');
    if (Number(count) < 0 || !/^\d+$/.test(count)) return Number(count) || -5;
    return new Map(pairs.map((pair) => {
      const [name, value] = pair.split(':');
      return [Buffer.from(name, 'hex').toString('utf8'), Buffer.from(value, 'hex')];
    }));
  });
}

/** lsetxattr(2): `flags` XATTR_CREATE (1) or XATTR_REPLACE (2) or 0. */
export function setXattr(path: string, name: string, value: Buffer, flags: number): void {
  call(`setxattr ${name} on ${path}`, ['set', path, name, String(flags)], value);
}

export function removeXattr(path: string, name: string): void {
  call(`removexattr ${name} on ${path}`, ['remove', path, name]);
}
