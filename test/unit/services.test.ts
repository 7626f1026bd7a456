// errd's service port without systemd and without an init script: a pidfile naming a live process
// is running, a dead or garbled one is not, and a service with none of the three says so.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { serviceStatus } from '../../src/checkers/services.js';

test('pidfile services: live, dead, garbled, missing; systemctl is not asked when systemd does not run', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'svc-'));
  const roots = { systemdDir: join(dir, 'no-systemd'), initDir: join(dir, 'init.d'), pidDirs: [join(dir, 'run')] };
  mkdirSync(join(dir, 'run', 'nested'), { recursive: true });
  const child = spawn('sleep', ['30']);
  try {
    writeFileSync(join(dir, 'run', 'live.pid'), `${child.pid}\n`);
    writeFileSync(join(dir, 'run', 'nested', 'nested.pid'), `${child.pid}\n`);
    writeFileSync(join(dir, 'run', 'dead.pid'), '999999999\n');
    writeFileSync(join(dir, 'run', 'garbled.pid'), 'not a pid\n');
    assert.deepEqual(await serviceStatus('live', roots), { running: true, how: `pidfile ${join(dir, 'run', 'live.pid')}` });
    assert.equal((await serviceStatus('nested', roots)).running, true);
    assert.equal((await serviceStatus('dead', roots)).running, false);
    assert.equal((await serviceStatus('garbled', roots)).running, false);
    const missing = await serviceStatus('missing', roots);
    assert.equal(missing.running, false);
    assert.match(missing.how, /no systemd, no .*init\.d\/missing, no .*missing\.pid/);
  } finally {
    child.kill();
    rmSync(dir, { recursive: true, force: true });
  }
});
