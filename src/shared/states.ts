// States and qualifiers exactly as SafeKit users see them (SAFEKIT-BEHAVIOUR §2.1, §3.1).

export type MirrorState = 'STOP' | 'WAIT' | 'ALONE' | 'PRIM' | 'SECOND';
export type FarmState = 'STOP' | 'WAIT' | 'UP';
export type ModuleState = MirrorState | FarmState;
export type Qualifier = 'NotReady' | 'Transient' | 'Ready';

/** `tandem state -m AM -lq` exit codes, as `safekit state -lq`. */
export const STATE_EXIT_CODE: Record<ModuleState, number> = {
  STOP: 0, WAIT: 1, ALONE: 2, UP: 2, PRIM: 3, SECOND: 4,
};

/** Resource values. Most resources are up/down; some carry numbers or text (bandwidth, epochs). */
export type ResourceValue = 'init' | 'up' | 'down' | 'unknown' | string;

export type ModuleMode = 'mirror' | 'farm' | 'light';

export function formatState(state: ModuleState | 'UNKNOWN', qualifier: Qualifier | 'Unknown'): string {
  return `${state} ${qualifier}`;
}
