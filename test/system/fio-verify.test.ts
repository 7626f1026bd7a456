// fio (Debian's flexible I/O tester, nobody here wrote it) run on the primary inside the replicated
// directory, with data verification: every block fio wrote carries a checksum and fio reads it back
// and checks it. Sequential and random writes through write(2), writes through a shared mmap (the
// kernel's writeback sends them to us as WRITE requests after the fact), O_SYNC writes and
// appends with fsync. Then the secondary's copy must be identical (rfsverify), and fio must verify
// the same files again on the secondary after a swap made it primary.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { replicationLab, replicationSkip } from '../lab-replication.js';

const skip = replicationSkip || (spawnSync('sh', ['-c', 'command -v fio']).status !== 0 ? 'needs fio (npm test installs it as root)' : false);

/** One fio job per line: name and options; every job writes then verifies its own file. */
const JOBS = [
  'seq --rw=write --bs=1M --size=48M',
  'rand --rw=randwrite --bs=4k --size=16M --norandommap --randrepeat=1 --number_ios=3000',
  'mmap --ioengine=mmap --rw=randwrite --bs=8k --size=8M',
  'osync --rw=write --bs=64k --size=8M --sync=1',
  'appendfsync --rw=write --bs=4k --size=4M --fsync=4 --file_append=1',
];

function fioArgs(dir: string, line: string, verifyOnly: boolean): string[] {
  const [name, ...all] = line.split(' ');
  // a verify-only pass with --file_append would read from the end of the file: it reads from 0
  const options = verifyOnly ? all.filter((o) => o !== '--file_append=1') : all;
  return ['fio', `--name=${name}`, `--directory=${dir}`, `--filename=${name}.dat`, ...options,
    '--verify=crc32c', '--verify_fatal=1', '--do_verify=1', ...(verifyOnly ? ['--verify_only'] : []),
    '--output-format=terse', '--minimal'];
}

test('fio with data verification inside a replicated directory; the copy is identical and verifies on the other node', { skip, timeout: 300_000 }, async () => {
  const r = await replicationLab('10.86.0');
  try {
    await r.pair();
    for (const job of JOBS) {
      const run = r.lab.run('n1', fioArgs(r.data, job, false));
      assert.equal(run.status, 0, `fio ${job} on the primary:\n${run.stdout}\n${run.stderr}`);
    }
    const verified = r.lab.tandem('n2', 'rfsverify', '-m', 'app');
    assert.equal(verified.status, 0, `the secondary's copy differs after fio:\n${verified.stdout}${verified.stderr}`);
    assert.match(verified.stdout, /the copies are identical/);

    r.tandem('n1', 'swap', '-m', 'app');
    await r.synced('n1', 60_000);
    for (const job of JOBS) {
      const run = r.lab.run('n2', fioArgs(r.data, job, true));
      assert.equal(run.status, 0, `fio --verify_only ${job} on the new primary:\n${run.stdout}\n${run.stderr}`);
    }
  } finally {
    r.lab.teardown();
  }
});
