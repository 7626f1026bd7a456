// Which user scripts run, in which order, on each transition (SAFEKIT-BEHAVIOUR §6.3). Every script
// gets <current state> <next state> <action>; the forced stop calls put "force" first.

import type { ModuleState } from '../shared/states.js';
import type { ScriptCall } from './actions.js';

/** The third script argument: why the transition happens. */
export type ScriptCause = 'start' | 'stop' | 'stopstart' | 'stopwait';

const TABLE: Record<string, readonly string[]> = {
  'STOP>WAIT': ['transition', 'prestart'],
  'WAIT>ALONE': ['transition', 'start_both', 'start_prim', 'start_sec'],
  'WAIT>UP': ['transition', 'start_both'],
  'WAIT>PRIM': ['transition', 'start_both', 'start_prim'],
  'WAIT>SECOND': ['transition', 'start_both', 'start_second', 'start_sec'],
  'ALONE>PRIM': ['stop_sec', 'transition'],
  'PRIM>ALONE': ['transition', 'start_sec'],
  'ALONE>SECOND': ['stop_prim', 'transition', 'start_second'],
  'SECOND>ALONE': ['stop_second', 'transition', 'start_prim'],
  'PRIM>SECOND': ['stop_prim', 'transition', 'start_second', 'start_sec'],
  'SECOND>PRIM': ['stop_sec', 'stop_second', 'transition', 'start_prim'],
  'ALONE>WAIT': ['stop_sec', 'stop_prim', 'stop_both', 'transition'],
  'PRIM>WAIT': ['stop_prim', 'stop_both', 'transition'],
  'SECOND>WAIT': ['stop_sec', 'stop_second', 'stop_both', 'transition'],
  'UP>WAIT': ['stop_both', 'transition'],
};

const RESTART: Record<string, readonly string[]> = {
  ALONE: ['stop_sec', 'stop_prim', 'stop_both', 'start_both', 'start_prim', 'start_sec'],
  UP: ['stop_both', 'start_both'],
  PRIM: ['stop_prim', 'stop_both', 'start_both', 'start_prim'],
  SECOND: ['stop_sec', 'stop_second', 'stop_both', 'start_both', 'start_second', 'start_sec'],
};

export function transitionScripts(from: ModuleState, to: ModuleState, cause: ScriptCause): ScriptCall[] {
  const names = TABLE[`${from}>${to}`];
  if (!names) throw new Error(`no script sequence for ${from} → ${to}`); // a bug in the machine, not an input error
  return names.map((script) => ({ script, args: [from, to, cause] }));
}

/** WAIT → STOP: every stop script forced, then poststop and transition. */
export function finalStopScripts(mode: 'mirror' | 'farm', cause: ScriptCause): ScriptCall[] {
  const forced = mode === 'mirror' ? ['stop_sec', 'stop_prim', 'stop_second', 'stop_both'] : ['stop_both'];
  return [
    ...forced.map((script) => ({ script, args: ['force', 'WAIT', 'STOP', cause] })),
    { script: 'poststop', args: ['WAIT', 'STOP', cause] },
    { script: 'transition', args: ['WAIT', 'STOP', cause] },
  ];
}

export function restartScripts(state: ModuleState): ScriptCall[] {
  return (RESTART[state] ?? []).map((script) => ({ script, args: [state, state, 'start'] }));
}
