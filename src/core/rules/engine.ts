// The failover machine (SAFEKIT-BEHAVIOUR §7.1): every `period` it evaluates all rules; the
// winning action is executed only once it has stayed the winner for `handle_time`.
//
// Precedence when several rules hold at once (the public material does not say; our decision,
// docs/failover-rules.md): the most protective action wins —
//   stop > stopstart > wait > swap > restart
// — because a node that must leave service must not merely restart, and a wait (hold the start)
// is stronger than moving or restarting the application. Among rules with the same action, the
// first in rule order wins (built-in, then generated, then the user's, in file order); its name is
// the one logged. `noaction` rules never act; assignments (`then rfs.uptodate=up`) apply at every
// evaluation where they hold, independent of the winner.

import type { FailoverRule, RuleAction } from '../../shared/rules.js';
import { holds, referencedResources, type RuleContext } from './evaluate.js';

export const PRECEDENCE: Readonly<Record<RuleAction, number>> = {
  stop: 5, stopstart: 4, wait: 3, swap: 2, restart: 1, noaction: 0,
};

export interface RulesState {
  readonly lastEvalAt: number | null;
  /** The current winner and since when it has been winning. */
  readonly candidate: { readonly action: RuleAction; readonly rule: string; readonly since: number } | null;
}

export const INITIAL_RULES_STATE: RulesState = { lastEvalAt: null, candidate: null };

export interface Evaluation {
  readonly state: RulesState;
  /** Whether this call was an evaluation (the period had elapsed). */
  readonly evaluated: boolean;
  /** A stable winner to execute now. */
  readonly fire: { readonly action: RuleAction; readonly rule: string } | null;
  /** The first wait rule that holds now, if any (start-up is held by it without handle_time). */
  readonly waitRule: string | null;
  /** A wait rule reads a resource still `init`: the start stays WAIT (Transient). */
  readonly waitOnInit: boolean;
  readonly assignments: readonly { readonly rule: string; readonly resource: string; readonly value: string }[];
}

export function evaluateRules(
  rules: readonly FailoverRule[], ctx: RuleContext, now: number, state: RulesState,
  periodMs: number, handleTimeMs: number, force = false,
): Evaluation {
  if (!force && state.lastEvalAt !== null && now - state.lastEvalAt < periodMs) {
    return { state, evaluated: false, fire: null, waitRule: null, waitOnInit: false, assignments: [] };
  }
  let winner: { action: RuleAction; rule: string } | null = null;
  let waitRule: string | null = null;
  let waitOnInit = false;
  const assignments: { rule: string; resource: string; value: string }[] = [];
  for (const rule of rules) {
    if (rule.then.kind === 'action' && rule.then.action === 'wait' && readsInit(rule, ctx)) waitOnInit = true;
    if (!holds(rule.when, ctx)) continue;
    if (rule.then.kind === 'assign') {
      assignments.push({ rule: rule.name, resource: rule.then.resource, value: rule.then.value });
      continue;
    }
    const action = rule.then.action;
    if (action === 'wait' && waitRule === null) waitRule = rule.name;
    if (PRECEDENCE[action] > (winner ? PRECEDENCE[winner.action] : 0)) winner = { action, rule: rule.name };
  }
  let candidate = state.candidate;
  let fire: Evaluation['fire'] = null;
  if (!winner) candidate = null;
  else if (!candidate || candidate.action !== winner.action || candidate.rule !== winner.rule) {
    candidate = { ...winner, since: now };
    if (handleTimeMs === 0) fire = winner;
  } else if (now - candidate.since >= handleTimeMs) {
    fire = winner;
    candidate = { ...winner, since: now }; // act again only after another full handle_time
  }
  return { state: { lastEvalAt: now, candidate }, evaluated: true, fire, waitRule, waitOnInit, assignments };
}

function readsInit(rule: FailoverRule, ctx: RuleContext): boolean {
  return referencedResources(rule.when).some((name) =>
    name.endsWith('.')
      ? Object.keys(ctx.local).some((k) => k.startsWith(name) && ctx.local[k] === 'init')
      : ctx.local[name] === 'init');
}
