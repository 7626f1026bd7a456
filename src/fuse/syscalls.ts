// System calls Node does not offer — mknod(2) for special files (FIFOs, sockets, devices) and
// fallocate(2) — made by a short Perl program, one process per call: Perl's `syscall` is in
// perl-base, which every Debian system has. Both calls are rare in replicated data (a database
// extends its files in large steps), so a process start each (a few milliseconds) is affordable,
// and `spawnSync`'s timeout means a stuck helper cannot hang the FUSE worker for ever.
//
// `path` must be reachable by another process: /proc/<pid>/fd/N names our descriptor, /proc/self
// would name the child's. Errors come back as the call's errno (negative, as FUSE answers it).

import { spawnSync } from 'node:child_process';
import { chmodSync } from 'node:fs';

/** System call numbers of mknodat and fallocate per architecture (Node's process.arch). */
const PROGRAM = `
use strict; use warnings;
my ($arch, $op, $path, @n) = @ARGV;
my %nr = (x64 => [259, 285], arm64 => [33, 47]);
my $calls = $nr{$arch} or do { print "-38\\n"; exit 0 };
my $r;
if ($op eq 'mknod') { $r = syscall($calls->[0], -100, $path, $n[0] + 0, $n[1] + 0); }
elsif ($op eq 'fallocate') {
  open(my $fh, '+<', $path) or do { print -($! + 0), "\\n"; exit 0 };
  $r = syscall($calls->[1], fileno($fh), $n[0] + 0, $n[1] + 0, $n[2] + 0);
}
else { print "-22\\n"; exit 0 }
print(($r < 0 ? -($! + 0) : 0), "\\n");
`;

function call(what: string, args: string[]): void {
  const r = spawnSync('perl', ['-e', PROGRAM, process.arch, ...args], { encoding: 'utf8', timeout: 10_000 });
  const errno = r.status === 0 ? Number(r.stdout.trim()) : NaN;
  if (errno === 0) return;
  const why = Number.isInteger(errno) ? `errno ${-errno}` : r.error?.message ?? `perl exited ${r.status ?? r.signal}: ${r.stderr.trim()}`;
  throw Object.assign(new Error(`${what}: ${why}`), { errno: Number.isInteger(errno) && errno < 0 ? errno : -5 });
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
