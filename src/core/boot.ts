// What a module does when its node boots (SAFEKIT-BEHAVIOUR §5.1 `boot`, §8.1 `boot on|off`):
//   on     start at boot
//   off    never start at boot
//   auto   start at boot only if it was running before the node went down
//   ignore the legacy switch decides: `tandem boot on|off -m AM` (usersetting.boot)
// A start of tandemd that is not a boot (same kernel boot id: the daemon was restarted) starts
// nothing: modules keep the state their processes rebuild.

export type BootSetting = 'on' | 'off' | 'auto' | 'ignore';

export interface BootFacts {
  readonly setting: BootSetting;
  /** The value of usersetting.boot ('on' | 'off'), or null when never set. */
  readonly userSetting: string | null;
  /** The module was started (any state but STOP) when the node last went down. */
  readonly wasRunning: boolean;
}

export function startsAtBoot(f: BootFacts): { start: boolean; why: string } {
  switch (f.setting) {
    case 'on': return { start: true, why: 'boot="on"' };
    case 'off': return { start: false, why: 'boot="off"' };
    case 'auto': return f.wasRunning ? { start: true, why: 'boot="auto" and it was running before' } : { start: false, why: 'boot="auto" and it was stopped before' };
    case 'ignore': return f.userSetting === 'on' ? { start: true, why: '"tandem boot on"' } : { start: false, why: f.userSetting === 'off' ? '"tandem boot off"' : 'boot is off by default' };
  }
}
