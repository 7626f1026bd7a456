// A 2-node mirror replicating a directory, in the lab (SAFEKIT-BEHAVIOUR §2.6, DESIGN §5–6): each
// node has its own directory at the same path (a bind mount in its mount namespace). The first
// node, forced primary, mounts the FUSE passthrough over it; the second joins and receives a full
// synchronisation; a write on the primary is on the secondary when the writer gets its answer; a
// crash of the primary node leaves the secondary with every acknowledged write, and it takes over;
// the crashed node returns as secondary with a full resync (it crashed as primary: its copy may
// hold writes nobody acknowledged); a cleanly stopped secondary returns with only the changed zones;
// swap; a broken replication link; rfsverify; a split brain whose loser keeps its writes aside.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import { join } from 'node:path';
import { until } from '../helpers.js';
import { treeOf } from '../tree.js';
import { replicationLab, replicationSkip as skip } from '../lab-replication.js';

test('mirror replication in the lab: full sync, synchronous writes, crash of the primary, reintegration', { skip, timeout: 180_000 }, async () => {
  const r = await replicationLab('10.81.0', (backing) => {
    fs.writeFileSync(join(backing.n1, 'before.txt'), 'on n1 before the module ran\n');
    fs.writeFileSync(join(backing.n1, 'big.bin'), Buffer.alloc(3 * 1024 * 1024 + 17, 7));
    fs.mkdirSync(join(backing.n1, 'sub/deeper'), { recursive: true });
    fs.symlinkSync('../before.txt', join(backing.n1, 'sub/link'));
    fs.writeFileSync(join(backing.n2, 'stale.txt'), 'only on n2: removed by the full sync\n');
    fs.writeFileSync(join(backing.n1, 'hard-a'), 'one file, two names\n');
    fs.linkSync(join(backing.n1, 'hard-a'), join(backing.n1, 'hard-b'));
  }, false, ' async="none" reiallowedbw="1024"', '<notreplicated path="tmp"/>'); // async none: the secondary applies before it acknowledges, the checks below read its copy at once; 1 MiB/s: the first full sync lasts seconds
  const { lab, data, backing, state, log, startDaemon, waitStates, tandem, sh, synced } = r;
  try {
    // never synchronised: n1 waits for its peer, and an operator's prim makes it primary
    tandem('n1', 'start', '-m', 'app');
    await until('n1 waits (data not known up to date)', () => state('n1') === 'WAIT', 20_000, 200);
    tandem('n1', 'prim', '-m', 'app');
    await until('n1 alone', () => state('n1') === 'ALONE', 20_000, 200);
    assert.match(sh('n1', `grep ' ${data} ' /proc/mounts`), /^tandem:app \S+ fuse /m, 'the replicated directory is the FUSE mount on the primary');
    sh('n1', `echo "written alone" > ${data}/alone.txt`);

    tandem('n2', 'second', '-m', 'app'); // never synchronised either: an operator says which copy is the secondary
    // an operator waiting on the secondary sees the full sync arrive, capped by reiallowedbw
    const started = Date.now();
    const waited = lab.tandem('n2', 'waitstate', '-m', 'app', 'SECOND', '--timeout', '60');
    assert.equal(waited.status, 0, waited.stderr);
    assert.match(waited.stderr, /^app: \w+ \(\w+\) — reintegration from n1: \d+ changes, \d+\.\d MiB applied$/m, 'waitstate shows the resynchronisation\'s progress');
    assert.ok(Date.now() - started >= 2_000, 'reiallowedbw="1024" spreads the 3 MiB file over seconds');
    await synced('n2');
    assert.match(lab.tandem('n2', 'get', '-m', 'app', '-r', 'rfs.reintegration').stdout, /last reintegration from n1: \d+ changes, 3\.\d MiB applied/);
    assert.match(log('n1'), /Reintegration of n2 begins: full synchronization/);
    assert.match(log('n1'), /2 name\(s\) in the replicated directories are hard links \(hard-a, hard-b\): each is a separate file on n2/);
    assert.deepEqual(treeOf(backing.n2), treeOf(backing.n1), 'the copies are the same after the full sync');
    assert.ok(!fs.existsSync(join(backing.n2, 'stale.txt')));
    // the secondary's copy is covered read-only: only the replication writes it (vendor test 7)
    const refused = lab.run('n2', ['sh', '-c', `rm ${data}/before.txt`]);
    assert.notEqual(refused.status, 0);
    assert.match(refused.stderr, /Read-only file system/);
    const verified = lab.tandem('n2', 'rfsverify', '-m', 'app');
    assert.equal(verified.status, 0, verified.stderr);
    assert.match(verified.stdout, /the copies are identical \(\d+ entries compared/);
    assert.match(lab.tandem('n1', 'rfsdiff', '-m', 'app').stdout, /the secondary is up to date and receiving/);
    assert.equal(lab.tandem('n1', 'rfsverify', '-m', 'app').status, 1, 'rfsverify is refused on the primary');

    // synchronous: when the writer has its answer, the secondary has the data
    sh('n1', `echo one > ${data}/sync.txt && mv ${data}/sync.txt ${data}/renamed.txt && echo two >> ${data}/renamed.txt && mkdir ${data}/sub/new && chmod 640 ${data}/renamed.txt`);
    assert.equal(fs.readFileSync(join(backing.n2, 'renamed.txt'), 'utf8'), 'one\ntwo\n');
    assert.equal(fs.statSync(join(backing.n2, 'renamed.txt')).mode & 0o777, 0o640);
    assert.ok(fs.statSync(join(backing.n2, 'sub/new')).isDirectory());
    sh('n1', `dd if=/dev/urandom of=${data}/big.bin bs=4096 count=3 seek=100 conv=notrunc,fsync status=none`);
    // the file's times at close follow without being waited for (docs/replication.md)
    await until('the copy has the times sent at close', () => JSON.stringify(treeOf(backing.n2)) === JSON.stringify(treeOf(backing.n1)), 5_000, 50).catch(() => undefined);
    assert.deepEqual(treeOf(backing.n2), treeOf(backing.n1));

    // crash of the primary node: the secondary takes over with every acknowledged write
    assert.ok(lab.crash('n1') >= 2);
    await until('n2 alone', () => state('n2') === 'ALONE', 20_000, 100);
    assert.equal(fs.readFileSync(join(backing.n2, 'renamed.txt'), 'utf8'), 'one\ntwo\n');
    assert.match(sh('n2', `grep ' ${data} ' /proc/mounts`), /^tandem:app \S+ fuse /m);
    sh('n2', `echo "written on n2 alone" > ${data}/after.txt && rm ${data}/alone.txt`);

    // n1 returns: it crashed as primary, so its copy is compared block by block
    startDaemon('n1');
    await until('n1 daemon', () => lab.tandem('n1', 'state', '-m', 'app').status === 0, 20_000, 200);
    if (state('n1') === 'STOP') tandem('n1', 'start', '-m', 'app');
    await synced('n1');
    assert.match(log('n2'), /Reintegration of n1 begins: full synchronization/);
    assert.match(lab.run('n1', ['sh', '-c', `echo x > ${data}/nope`]).stderr, /Read-only file system/, 'the secondary\'s copy is read-only');
    assert.deepEqual(treeOf(backing.n1), treeOf(backing.n2));
    assert.ok(!fs.existsSync(join(backing.n1, 'alone.txt')));

    // a clean stop of the secondary, changes on the primary alone, and a reintegration of the zones
    tandem('n1', 'stop', '-m', 'app');
    await waitStates('n1 stopped, n2 alone', 'STOP', 'ALONE');
    sh('n2', `echo more >> ${data}/after.txt && dd if=/dev/zero of=${data}/big.bin bs=4096 count=1 seek=5 conv=notrunc status=none && mkdir -p ${data}/made/alone && echo x > ${data}/made/alone/f`);
    sh('n2', `setfattr -n user.while -v alone ${data}/after.txt && setfattr -n user.new -v file ${data}/made/alone/f`);
    const diff = JSON.parse(lab.tandem('n2', 'rfsdiff', '-m', 'app', '--json').stdout) as { zones: boolean; secondary: string; dirs: { changed: number; bytes: number }[] };
    assert.equal(diff.zones, true);
    assert.equal(diff.secondary, 'away');
    assert.ok(diff.dirs[0].changed >= 3 && diff.dirs[0].bytes < 64 * 1024, JSON.stringify(diff));
    tandem('n1', 'start', '-m', 'app');
    await synced('n1');
    assert.match(log('n2'), /Reintegration of n1 begins: changed zones only/);
    const ended = [...log('n2').matchAll(/Reintegration of n1 ended: (\d+) entries, (\d+) bytes/g)].pop();
    assert.ok(ended && Number(ended[2]) < 64 * 1024, `only the changed zones were sent: ${ended?.[0]}`);
    assert.match(lab.tandem('n2', 'get', '-m', 'app', '-r', 'rfs.reintegration').stdout, /last reintegration of n1: \d+ entries/, 'state -v shows the reintegration');
    const xattr = (file: string, name: string) => spawnSync('getfattr', ['--only-values', '-n', name, file], { encoding: 'utf8' }).stdout;
    assert.equal(xattr(join(backing.n1, 'after.txt'), 'user.while'), 'alone', 'extended attributes set alone are reintegrated');
    assert.equal(xattr(join(backing.n1, 'made/alone/f'), 'user.new'), 'file');
    sh('n2', `setfattr -n user.live -v yes ${data}/after.txt && setfattr -x user.while ${data}/after.txt`);
    assert.equal(xattr(join(backing.n1, 'after.txt'), 'user.live'), 'yes', 'and replicated live');
    assert.equal(spawnSync('getfattr', ['-n', 'user.while', join(backing.n1, 'after.txt')]).status, 1);
    assert.deepEqual(treeOf(backing.n1), treeOf(backing.n2));

    // rfssync full on the secondary: its next synchronisation compares everything, then the policy
    // returns to default
    tandem('n1', 'rfssync', 'full', '-m', 'app');
    assert.match(lab.tandem('n1', 'rfssync', '-m', 'app').stdout, /synchronization policy: full/);
    const notPrimary = lab.tandem('n1', 'rfssync', 'external', 'prim', 'x', '-m', 'app');
    assert.notEqual(notPrimary.status, 0);
    assert.match(notPrimary.stdout + notPrimary.stderr, /this node is not the primary \(state SECOND\): run it on the primary, before the backup/);
    tandem('n1', 'stop', '-m', 'app');
    await waitStates('n1 stopped, n2 alone', 'STOP', 'ALONE');
    tandem('n1', 'start', '-m', 'app');
    await synced('n1');
    assert.match(log('n2').split('Reintegration of n1 ended').slice(-2)[0], /Reintegration of n1 begins: full synchronization/);
    assert.equal(lab.tandem('n1', 'get', '-m', 'app', '-r', 'usersetting.rfssyncmode').stdout.trim(), 'default');

    // swap: the roles exchange, and the new primary's writes reach the new secondary at once
    tandem('n2', 'swap', '-m', 'app');
    await synced('n2');
    sh('n1', `echo swapped > ${data}/swap.txt`);
    assert.equal(fs.readFileSync(join(backing.n2, 'swap.txt'), 'utf8'), 'swapped\n');

    // the replication connection breaks while the heartbeats flow: the writer's appends wait, the
    // primary makes a new generation durable and goes on alone; the secondary resynchronises
    const writer = lab.start('n1', ['sh', '-c', `for i in $(seq 1 150); do echo "record $i" >> ${data}/ledger || exit 1; sleep 0.01; done`]);
    const wrote = new Promise<number | null>((resolve) => writer.on('exit', resolve));
    await new Promise((r) => setTimeout(r, 400));
    const killed = lab.run('n1', ['ss', '-K', 'dst', '10.81.0.2', 'dport', '=', '5600']);
    assert.equal(killed.status, 0, killed.stderr);
    assert.equal(await wrote, 0, 'every append was answered');
    await until('the primary went on alone', () => /Replication to n2 lost/.test(log('n1')), 10_000, 200);
    assert.match(log('n1'), /Replication to the secondary lost: continuing alone/);
    await synced('n2');
    assert.equal(fs.readFileSync(join(backing.n2, 'ledger'), 'utf8').split('\n').filter(Boolean).length, 150);
    assert.deepEqual(treeOf(backing.n2), treeOf(backing.n1));

    // a block changed behind the replication's back on the secondary: rfsverify names it
    const fd = fs.openSync(join(backing.n2, 'big.bin'), 'r+');
    fs.writeSync(fd, Buffer.from('damage'), 0, 6, 2 * 128 * 1024 + 5);
    fs.closeSync(fd);
    const damaged = lab.tandem('n2', 'rfsverify', '-m', 'app');
    assert.equal(damaged.status, 1);
    assert.match(damaged.stdout, /big\.bin: content differs in 1 block\(s\) of 128 KiB from byte 262144/);

    // split brain (no witness): both nodes write alone; on heal the loser's writes are saved aside
    // before its divergent resynchronisation (a full one, which also repairs the damaged block)
    lab.link('n2', false);
    await until('both alone behind the partition', () => state('n1') === 'ALONE' && state('n2') === 'ALONE', 20_000, 200);
    sh('n1', `echo "n1 alone" > ${data}/split-n1.txt`);
    sh('n2', `echo "n2 alone" > ${data}/split-n2.txt`);
    lab.link('n2', true);
    await synced('n2');
    assert.match(log('n2'), /Data written on this node while it ran alone saved in (\S+) \(\d+ entries\)/);
    const aside = /saved in (\S+) \(/.exec(log('n2'))![1];
    assert.equal(lab.run('n2', ['cat', join(aside, '0', 'split-n2.txt')]).stdout, 'n2 alone\n', 'the loser\'s write is kept aside');
    assert.ok(!fs.existsSync(join(backing.n2, 'split-n2.txt')) && fs.existsSync(join(backing.n2, 'split-n1.txt')));
    assert.equal(lab.tandem('n2', 'rfsverify', '-m', 'app').status, 0, 'the divergent resync left identical copies');

    // the vendor's replication case (SAFEKIT-BEHAVIOUR §12, mirror test 7): stop the primary, create
    // a file on the node alone, restart the stopped node: SECOND Transient while "Updating directory
    // tree…", then "Reintegration ended (synchronize)" and SECOND Ready, with the file
    tandem('n1', 'stop', '-m', 'app');
    await waitStates('n1 stopped, n2 alone', 'STOP', 'ALONE');
    sh('n2', `echo "created on the node alone" > ${data}/vendor7.txt`);
    tandem('n1', 'start', '-m', 'app');
    await synced('n1');
    const reintegrated = log('n1').slice(log('n1').lastIndexOf('Local state SECOND Transient'));
    assert.match(reintegrated, /Updating directory tree \(changed zones\)[\s\S]*Reintegration ended \(synchronize\)[\s\S]*Local state SECOND Ready/);
    assert.equal(fs.readFileSync(join(backing.n1, 'vendor7.txt'), 'utf8'), 'created on the node alone\n');

    // <notreplicated path="tmp">: a file saved through the excluded directory arrives whole when
    // renamed into the scope, a name renamed out of it leaves the copy, and what the secondary
    // keeps there itself is not touched
    fs.mkdirSync(join(backing.n1, 'tmp'));
    fs.writeFileSync(join(backing.n1, 'tmp', 'own'), 'n1 keeps this\n');
    sh('n2', `mkdir ${data}/tmp && echo saved > ${data}/tmp/new && mv ${data}/tmp/new ${data}/saved.txt && mv ${data}/vendor7.txt ${data}/tmp/`);
    assert.equal(fs.readFileSync(join(backing.n1, 'saved.txt'), 'utf8'), 'saved\n');
    assert.ok(!fs.existsSync(join(backing.n1, 'vendor7.txt')) && !fs.existsSync(join(backing.n1, 'tmp', 'vendor7.txt')));
    assert.equal(fs.readFileSync(join(backing.n1, 'tmp', 'own'), 'utf8'), 'n1 keeps this\n');
    assert.equal(lab.tandem('n1', 'rfsverify', '-m', 'app').status, 0, 'rfsverify leaves the excluded directory out');

    // a file of the copy held open on the secondary: its resynchronisation waits until it is closed
    tandem('n1', 'stop', '-m', 'app');
    await waitStates('n1 stopped, n2 alone', 'STOP', 'ALONE');
    const release = join(r.dir, 'release-holder');
    const holder = lab.start('n1', ['sh', '-c', `exec 3< ${data}/saved.txt; while [ ! -e ${release} ]; do sleep 0.1; done`]);
    const held = new Promise((resolve) => holder.on('exit', resolve));
    try {
      tandem('n1', 'start', '-m', 'app');
      await until('n1 says why it waits', () => /The resynchronization from n2 waits: files of the replicated directories are open on this node: \S+\/saved\.txt \(pid \d+, (sh|sleep)\)/.test(log('n1')), 20_000, 200);
      assert.notEqual(lab.tandem('n1', 'get', '-m', 'app', '-r', 'rfs.uptodate').stdout.trim(), 'up', 'not up to date while it waits');
    } finally {
      fs.writeFileSync(release, '');
      await held;
    }
    await synced('n1');

    // secondforce -d: the secondary's copy is vouched for up to a date (restored from a backup);
    // only the files modified since are sent, so a difference in an older file stays (rfsverify names it)
    tandem('n1', 'stop', '-m', 'app');
    await waitStates('n1 stopped, n2 alone', 'STOP', 'ALONE');
    const backupDate = new Date(Date.now() - 1000).toISOString().slice(0, 19) + 'Z';
    await new Promise((r) => setTimeout(r, 1100));
    sh('n2', `echo "after the backup" > ${data}/since-backup.txt`);
    fs.writeFileSync(join(backing.n1, 'before.txt'), 'as the old backup had it\n');
    fs.utimesSync(join(backing.n1, 'before.txt'), 1_600_000_000, 1_600_000_000);
    assert.equal(lab.tandem('n1', 'secondforce', '-d', 'not-a-date', '-m', 'app').status, 2, 'a bad date is refused before anything is asked');
    tandem('n1', 'secondforce', '-d', backupDate, '-m', 'app');
    await synced('n1');
    assert.match(log('n2'), /Reintegration of n1 begins: files modified since \S+ \(secondforce\)/);
    assert.equal(fs.readFileSync(join(backing.n1, 'since-backup.txt'), 'utf8'), 'after the backup\n');
    const forced = lab.tandem('n1', 'rfsverify', '-m', 'app');
    assert.equal(forced.status, 1);
    assert.match(forced.stdout, /before\.txt: size/, 'the older file was not sent');

    // rfssync external: n1's copy is seeded from a backup of n2's directory taken after n2 began
    // recording; only what changed after the command is sent, and the copies are then identical
    tandem('n2', 'rfssync', 'external', 'prim', 'seed-1', '-m', 'app');
    sh('n2', `echo "before the backup" > ${data}/seed-before.txt`);
    tandem('n1', 'stop', '-m', 'app');
    await waitStates('n1 stopped, n2 alone', 'STOP', 'ALONE');
    const refusedStopped = lab.tandem('n2', 'rfssync', 'external', 'second', 'seed-1', '-m', 'app');
    assert.match(refusedStopped.stdout + refusedStopped.stderr, /the module runs on this node \(state ALONE\): stop it, restore the backup/);
    // the backup of n2's directory, restored into n1's (whose before.txt differed): the directory
    // itself stays (it is bind-mounted in n1's namespace), its contents are replaced
    for (const name of fs.readdirSync(backing.n1)) fs.rmSync(join(backing.n1, name), { recursive: true, force: true });
    assert.equal(spawnSync('cp', ['-a', `${backing.n2}/.`, backing.n1]).status, 0);
    sh('n2', `echo "after the backup" > ${data}/seed-after.txt && dd if=/dev/urandom of=${data}/big.bin bs=4096 count=2 seek=7 conv=notrunc status=none`);
    tandem('n1', 'rfssync', 'external', 'second', 'seed-1', '-m', 'app');
    assert.equal(lab.tandem('n1', 'get', '-m', 'app', '-r', 'usersetting.rfssyncmode').stdout.trim(), 'external');
    tandem('n1', 'start', '-m', 'app');
    await synced('n1');
    const seeded = log('n2').split('Reintegration of n1 begins').pop()!;
    assert.match(seeded, /^: changed zones since the backup of external synchronization seed-1/);
    // what changed since the command, not the 3 MiB copy: seed-after.txt, big.bin's two blocks, and
    // seed-before.txt (written after the command: the record cannot tell the backup has it)
    const [, entries, bytes] = /ended: (\d+) entries, (\d+) bytes sent/.exec(seeded) ?? [];
    assert.ok(Number(entries) <= 3 && Number(bytes) <= 2 * 4096 + 64, `only the changes since the command: ${entries} entries, ${bytes} bytes`);
    assert.deepEqual(treeOf(backing.n1), treeOf(backing.n2), 'the seeded copy is the primary\'s');
    for (const n of ['n1', 'n2']) assert.equal(lab.tandem(n, 'get', '-m', 'app', '-r', 'usersetting.rfssyncmode').stdout.trim(), 'default', `${n}: the policy is back to default`);

    // a restored copy written into after "rfssync external second" is not trusted: a full
    // synchronization instead, naming the entry, and the stray file is gone after it
    tandem('n2', 'rfssync', 'external', 'prim', 'seed-2', '-m', 'app');
    tandem('n1', 'stop', '-m', 'app');
    await waitStates('n1 stopped, n2 alone', 'STOP', 'ALONE');
    tandem('n1', 'rfssync', 'external', 'second', 'seed-2', '-m', 'app');
    fs.writeFileSync(join(backing.n1, 'stray.txt'), 'written into the restored copy\n');
    tandem('n1', 'start', '-m', 'app');
    await synced('n1');
    assert.match(log('n1'), /External synchronization seed-2: \S+\/stray\.txt changed on this node after "rfssync external second" was given: this copy cannot be trusted, full synchronization instead/);
    assert.match(log('n2').split('Reintegration of n1 begins').pop()!, /^: full synchronization/);
    assert.deepEqual(treeOf(backing.n1), treeOf(backing.n2), 'the full synchronization removed the stray file');
  } finally {
    lab.teardown();
  }
});
