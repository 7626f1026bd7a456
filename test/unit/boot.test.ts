// boot="on|off|auto|ignore" (SAFEKIT-BEHAVIOUR §5.1): which modules start when the node boots.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startsAtBoot, type BootSetting } from '../../src/core/boot.js';

test('each boot setting, with and without the legacy switch and the state before the reboot', () => {
  const cases: [BootSetting, string | null, boolean, boolean][] = [
    ['on', null, false, true], ['on', 'off', false, true],
    ['off', 'on', true, false],
    ['auto', null, true, true], ['auto', 'on', false, false],
    ['ignore', 'on', false, true], ['ignore', 'off', true, false], ['ignore', null, true, false],
  ];
  for (const [setting, userSetting, wasRunning, start] of cases) {
    const d = startsAtBoot({ setting, userSetting, wasRunning });
    assert.equal(d.start, start, `${setting} user=${userSetting} running=${wasRunning}: ${d.why}`);
    assert.ok(d.why.length > 0);
  }
});
