// `tandem lab up|status|exec|crash|down` as a user runs them: the lab appears with its nodes and
// addresses, a command runs inside a node's namespaces, and `down` leaves nothing behind.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { Lab, labRunDir, labUnavailable } from '../../src/lab/lab.js';
import { runTandem } from '../helpers.js';

const skip = labUnavailable() || (Lab.find('tandem') ? 'a lab is already up on this host ("tandem lab down" removes it)' : false);

test('lab up, status, exec, crash, down', { skip, timeout: 60_000 }, () => {
  try {
    const up = runTandem(['--json', 'lab', 'up', '--nodes', '2', '--subnet', '10.81.0', '--dir', '/tmp/tandem-lab-test']);
    assert.equal(up.status, 0, up.stderr);
    assert.deepEqual(JSON.parse(up.stdout).nodes.map((n: { name: string; addr: string }) => `${n.name}=${n.addr}`), ['n1=10.81.0.1', 'n2=10.81.0.2']);
    assert.equal(runTandem(['lab', 'up']).status, 1, 'one lab at a time');
    assert.equal(runTandem(['lab', 'up', '--nodes', '12']).status, 1);
    const inside = spawnSync(process.execPath, ['dist/src/cli/main.js', 'lab', 'exec', 'n2', '--', 'ip', '-o', '-4', 'addr', 'show', 'dev', 'eth0'], { encoding: 'utf8' });
    assert.match(inside.stdout, /inet 10\.81\.0\.2\/24/);
    const ping = spawnSync(process.execPath, ['dist/src/cli/main.js', 'lab', 'exec', 'n1', '--', process.execPath, '-e', "require('net').connect(4800,'10.81.0.2').on('error',(e)=>{console.log(e.code);process.exit(0)})"], { encoding: 'utf8', timeout: 10_000 });
    assert.match(ping.stdout, /ECONNREFUSED/, 'n2 is reachable from n1 over the bridge (nothing listens yet)');
    assert.equal(runTandem(['lab', 'exec', 'n9', '--', 'true']).status, 2);
    const status = JSON.parse(runTandem(['--json', 'lab', 'status']).stdout);
    assert.equal(status.nodes.length, 2);
    assert.equal(JSON.parse(runTandem(['--json', 'lab', 'crash', 'n1']).stdout).ok, true);
    assert.equal(runTandem(['lab', 'down']).status, 0);
    assert.equal(existsSync(labRunDir('tandem')), false);
    assert.doesNotMatch(spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' }).stdout, /^tandem/m);
    assert.equal(runTandem(['lab', 'status']).status, 1, 'no lab any more');
  } finally {
    Lab.find('tandem')?.teardown();
  }
});
