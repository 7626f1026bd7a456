// The shipped systemd unit passes `systemd-analyze verify` (systemd is not running on these
// machines; verify works offline). Skipped, with the reason, where systemd-analyze is absent.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const analyze = spawnSync('systemd-analyze', ['--version'], { encoding: 'utf8' });
const missing = analyze.error ? 'systemd-analyze is not installed (Debian package systemd)' : false;

test('packaging/tandemd.service passes systemd-analyze verify', { skip: missing }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'unit-'));
  try {
    const unit = join(dir, 'tandemd.service');
    copyFileSync('packaging/tandemd.service', unit);
    // any line naming the unit is a complaint (unknown key, bad value, missing program…)
    const r = spawnSync('systemd-analyze', ['verify', '--man=no', unit], { encoding: 'utf8' });
    const complaints = `${r.stdout}${r.stderr}`.split('\n').filter((l) => l.includes('tandemd.service') && !/Documentation/.test(l));
    assert.deepEqual(complaints, [], complaints.join('\n'));
  } finally { rmSync(dir, { recursive: true, force: true }); }
});
