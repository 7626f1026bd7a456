// Evaluating one rule condition against the local and remote resources (SAFEKIT-BEHAVIOUR §7.2).
// `class.?` holds when any resource of the class satisfies the comparison, `class.*` when all do
// (and the class has at least one). A resource that does not exist reads `unknown`, and every remote
// resource reads `unknown` while the peer is not heard. A bare resource means `== up`.

import type { RuleExpr, ResourceRef } from '../../shared/rules.js';

export interface RuleContext {
  readonly local: Readonly<Record<string, string>>;
  /** The peer's resources from its last heartbeat; null while no heartbeat reaches us. */
  readonly remote: Readonly<Record<string, string>> | null;
  /** cluster(): whether the peer node is visible at cluster (membership) level. */
  readonly clusterPeerVisible: boolean;
}

interface Values {
  readonly values: readonly string[];
  readonly quantifier: 'any' | 'all';
}

export function holds(expr: RuleExpr, ctx: RuleContext): boolean {
  switch (expr.kind) {
    case 'not': return !holds(expr.expr, ctx);
    case 'and': return holds(expr.left, ctx) && holds(expr.right, ctx);
    case 'or': return holds(expr.left, ctx) || holds(expr.right, ctx);
    case 'eq': return compare(expr.left, expr.right, ctx, true);
    case 'ne': return compare(expr.left, expr.right, ctx, false);
    case 'resource': return compare(expr, { kind: 'value', value: 'up' }, ctx, true);
    case 'cluster': return ctx.clusterPeerVisible;
    case 'value': return expr.value === 'up';
  }
}

function compare(left: RuleExpr, right: RuleExpr, ctx: RuleContext, equal: boolean): boolean {
  const l = values(left, ctx);
  const r = values(right, ctx);
  const test = (v: string): boolean => r.values.some((w) => (v === w) === equal);
  if (l.values.length === 0) return false;
  return l.quantifier === 'all' ? l.values.every(test) : l.values.some(test);
}

function values(expr: RuleExpr, ctx: RuleContext): Values {
  if (expr.kind === 'value') return { values: [expr.value], quantifier: 'any' };
  if (expr.kind === 'cluster') return { values: [ctx.clusterPeerVisible ? 'up' : 'down'], quantifier: 'any' };
  if (expr.kind !== 'resource') return { values: [holds(expr, ctx) ? 'up' : 'down'], quantifier: 'any' };
  return resourceValues(expr, ctx);
}

function resourceValues(ref: ResourceRef, ctx: RuleContext): Values {
  const source = ref.scope === 'remote' ? ctx.remote : ctx.local;
  const quantifier = ref.id === '*' ? 'all' : 'any';
  if (source === null) return { values: ['unknown'], quantifier };
  if (ref.id === '*' || ref.id === '?') {
    const prefix = `${ref.cls}.`;
    return { values: Object.keys(source).filter((k) => k.startsWith(prefix)).map((k) => source[k]), quantifier };
  }
  return { values: [source[`${ref.cls}.${ref.id}`] ?? 'unknown'], quantifier };
}

/** Resource names a condition reads (exact names, and class prefixes for `?`/`*`). */
export function referencedResources(expr: RuleExpr, out: string[] = []): string[] {
  switch (expr.kind) {
    case 'resource': out.push(expr.id === '*' || expr.id === '?' ? `${expr.cls}.` : `${expr.cls}.${expr.id}`); break;
    case 'not': referencedResources(expr.expr, out); break;
    case 'and': case 'or': case 'eq': case 'ne': referencedResources(expr.left, out); referencedResources(expr.right, out); break;
    default: break;
  }
  return out;
}
