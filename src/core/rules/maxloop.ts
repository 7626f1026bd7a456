// maxloop / loop_interval (SAFEKIT-BEHAVIOUR §5.3): automatic recovery actions (restart,
// stopstart, wait) triggered by errd, checkers or rules are counted within loop_interval; the one
// that would exceed maxloop stops the module instead ("the 4th error within 24 h stops it" with the
// default 3). An administrative command (no `-i identity`) resets the counter; loop_interval 0
// disables counting.

export interface LoopCounter {
  readonly count: number;
  /** When the current window started (the value of resource heart.stopstartloop). */
  readonly since: number | null;
}

export const EMPTY_LOOP: LoopCounter = { count: 0, since: null };

export function countRecovery(loop: LoopCounter, now: number, maxloop: number, intervalMs: number): { loop: LoopCounter; exceeded: boolean } {
  if (intervalMs === 0) return { loop, exceeded: false };
  const fresh = loop.since === null || now - loop.since > intervalMs;
  const next = { count: (fresh ? 0 : loop.count) + 1, since: fresh ? now : loop.since };
  return { loop: next, exceeded: next.count > maxloop };
}

/** The script verbs on the counter: `incloop`, `resetloop`, `checkloop` (SAFEKIT-BEHAVIOUR §8.3). */
export type LoopOp = 'inc' | 'reset' | 'check';

/**
 * incloop counts one recovery and fails when that one exceeds maxloop (a handler then stops the
 * module itself); checkloop fails when the next recovery would exceed it; resetloop clears.
 */
export function loopCommand(loop: LoopCounter, op: LoopOp, now: number, maxloop: number, intervalMs: number): { loop: LoopCounter; ok: boolean; message: string } {
  if (op === 'reset') return { loop: EMPTY_LOOP, ok: true, message: 'loop counter reset' };
  const next = countRecovery(loop, now, maxloop, intervalMs);
  const status = `${next.loop.count} of ${maxloop} within the loop interval`;
  if (op === 'check') return { loop, ok: !next.exceeded, message: next.exceeded ? `maxloop reached (${loop.count} of ${maxloop})` : `below maxloop (${loop.count} of ${maxloop})` };
  return { loop: next.loop, ok: !next.exceeded, message: next.exceeded ? `maxloop exceeded: ${status}` : `counted: ${status}` };
}
