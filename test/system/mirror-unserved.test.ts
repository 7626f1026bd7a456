// The primary role cannot be taken because the replicated directory cannot be mounted (here /dev/fuse
// is masked by /dev/null in the node's mount namespace): the application must not start on the bare
// directory, where its writes would reach no secondary and no map of changes. The module tries once
// more through a stopstart, then stops and says what to do; once the cause is gone, start works.
// The same when a <tocheck> path is missing (the directory's own file system not mounted). And a
// replicator that hangs is found by the null request of checkintv/checktime and replaced.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { join } from 'node:path';
import { until } from '../helpers.js';
import { replicationLab, replicationSkip as skip } from '../lab-replication.js';

test('a primary whose directories cannot be mounted never starts its application, retries once, then stops', { skip, timeout: 120_000 }, async () => {
  const r = await replicationLab('10.87.0', (backing) => fs.writeFileSync(join(backing.n1, 'mounted'), ''), false, ' checkintv="1" checktime="1500"', '<tocheck path="mounted"/>');
  const { lab, data, state, log, tandem, sh, ask } = r;
  try {
    sh('n1', 'mount --bind /dev/null /dev/fuse');
    tandem('n1', 'start', '-m', 'app');
    await until('n1 waits', () => state('n1') === 'WAIT', 20_000, 200);
    tandem('n1', 'prim', '-m', 'app');
    await until('n1 stopped after two refusals', () => /The primary role was refused again/.test(log('n1')) && state('n1') === 'STOP', 30_000, 200)
      .catch((e: Error) => { throw new Error(`${e.message} (state ${state('n1')})\n${log('n1').split('\n').slice(-25).join('\n')}`); });
    const text = log('n1');
    assert.match(text, /Replication role primary could not be taken/);
    assert.equal(text.match(/Start scripts not run, the application stays stopped: the replicated directories are not served/g)?.length, 2, 'both attempts kept the application stopped');
    assert.match(text, /The primary role was refused \(.*\): the module is started again/);
    assert.match(text, /the module is stopped; fix the cause/);
    assert.match(ask('10.87.0.1'), /^ERR /, 'the application never ran');
    assert.doesNotMatch(sh('n1', 'cat /proc/mounts'), new RegExp(` ${data} fuse`), 'nothing is mounted over the directory');

    sh('n1', 'umount /dev/fuse');
    tandem('n1', 'start', '-m', 'app');
    await until('n1 alone, its application answering', () => state('n1') === 'ALONE' && ask('10.87.0.1') === 'n1', 20_000, 200);
    assert.match(sh('n1', `grep ' ${data} ' /proc/mounts`), /^tandem:app \S+ fuse /m, 'the application runs over the FUSE mount');

    // <tocheck path="mounted">: without it (the directory's file system not mounted, say) the
    // replication refuses to start, and the application with it
    tandem('n1', 'stop', '-m', 'app');
    await until('n1 stopped', () => state('n1') === 'STOP', 20_000, 200);
    sh('n1', `rm ${data}/mounted`);
    tandem('n1', 'start', '-m', 'app');
    await until('n1 stopped again after two refusals', () => (log('n1').match(/The primary role was refused again/g)?.length ?? 0) === 2 && state('n1') === 'STOP', 30_000, 200);
    assert.match(log('n1'), /\/mounted must exist \(<tocheck>\) and does not: is the file system of \S+ mounted\?/);
    assert.match(ask('10.87.0.1'), /^ERR /, 'the application did not start');
    sh('n1', `touch ${data}/mounted`);
    tandem('n1', 'start', '-m', 'app');
    await until('n1 alone again', () => state('n1') === 'ALONE' && ask('10.87.0.1') === 'n1', 20_000, 200);

    // a hung replicator (stopped): the null request every checkintv (1 s) gets no answer within
    // checktime (1.5 s), the replicator is killed, a new one serves the directory after a stopstart
    const replicator = Number(fs.readFileSync(join(lab.node('n1').root, 'run/tandem/replicator.app.pid'), 'utf8'));
    process.kill(replicator, 'SIGSTOP');
    await until('the hung replicator is replaced', () => /did not answer a null request within 1500 ms/.test(log('n1')) && /Replication failure/.test(log('n1')), 15_000, 200);
    await until('n1 alone again, its application answering', () => state('n1') === 'ALONE' && ask('10.87.0.1') === 'n1', 30_000, 200);
    assert.notEqual(Number(fs.readFileSync(join(lab.node('n1').root, 'run/tandem/replicator.app.pid'), 'utf8')), replicator);
  } finally {
    lab.teardown();
  }
});
