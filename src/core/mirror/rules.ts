// Running the failover rules on a mirror node: hold the start while a wait rule holds, wake up
// when none does (Implicit_wakeup), and execute the stable winner on a running node.

import { evaluateRules } from '../rules/engine.js';
import type { Step } from './builder.js';
import { countLoop } from './commands.js';
import { leave, restart } from './transitions.js';

/**
 * Holds that come from data or peers rather than from a rule: decide() handles them. A split-brain
 * hold is one even though it has a rule's name: it must last until a heartbeat comes back, also
 * when `<failover extends="no">` dropped the rule.
 */
export const DATA_HOLDS: ReadonlySet<string> = new Set(['rfs_notuptodate_server', 'untrusted', 'failover-off', 'peer', 'splitbrain_failure']);

export function applyRules(b: Step, force: boolean): void {
  const s = b.s;
  if (s.pending !== null || s.state === 'STOP') return;
  const ev = evaluateRules(s.settings.rules, { local: s.resources, remote: s.peer?.message.resources ?? null, clusterPeerVisible: s.clusterPeerVisible }, b.now, s.rules, s.settings.periodMs, s.settings.handleTimeMs, force);
  if (!ev.evaluated) return;
  b.set({ rules: ev.state });
  for (const a of ev.assignments) {
    b.resource(a.resource, a.value, a.rule);
    if (a.resource === 'rfs.uptodate' && a.value === 'up' && !b.s.data.uptodate) b.persist({ uptodate: true });
  }
  if (s.state === 'WAIT') {
    if (!s.deciding || DATA_HOLDS.has(s.heldBy ?? '')) {
      if (!s.deciding || !ev.waitRule) return;
    }
    if (ev.waitRule) {
      if (s.heldBy !== ev.waitRule) {
        b.log('C', `Action wait from failover rule ${ev.waitRule}`);
        b.set({ heldBy: ev.waitRule });
      }
      b.state('WAIT', 'NotReady');
    } else if (ev.waitOnInit) {
      b.set({ heldBy: 'init' });
      b.state('WAIT', 'Transient');
    } else if (s.heldBy !== null && !DATA_HOLDS.has(s.heldBy)) {
      if (s.heldBy !== 'init') b.log('E', 'Action wakeup from failover rule Implicit_wakeup');
      b.set({ heldBy: null });
      b.state('WAIT', 'Transient');
    }
    return;
  }
  if (s.qualifier !== 'Ready' || !ev.fire) return;
  const { action, rule } = ev.fire;
  switch (action) {
    case 'wait':
      if (!countLoop(b)) return;
      b.log('C', `Action wait from failover rule ${rule}`);
      b.log('E', `Transition WAIT_TR from failover rule ${rule}`);
      b.set({ heldBy: rule });
      leave(b, 'wait', 'stopwait');
      return;
    case 'restart':
      if (!countLoop(b)) return;
      b.log('C', `Action restart from failover rule ${rule}`);
      b.log('E', `Transition RESTART from failover rule ${rule}`);
      restart(b);
      return;
    case 'stopstart':
      if (!countLoop(b)) return;
      b.log('C', `Action stopstart from failover rule ${rule}`);
      b.log('E', `Transition STOPSTART from failover rule ${rule}`);
      leave(b, 'stopstart', 'stopstart');
      return;
    case 'stop':
      b.log('C', `Action stop from failover rule ${rule}`);
      leave(b, 'stop', 'stop');
      return;
    case 'swap':
      if (s.state === 'PRIM' || s.state === 'SECOND') {
        b.log('C', `Action swap from failover rule ${rule}`);
        b.set({ swapRequest: true });
      }
      return;
    case 'noaction':
      return;
  }
}
