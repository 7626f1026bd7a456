// Failover-rule syntax tree (SAFEKIT-BEHAVIOUR §7.2). Parsed by src/config, evaluated by src/core.

export type RuleAction = 'stop' | 'stopstart' | 'wait' | 'restart' | 'swap' | 'noaction';

/** `[local.|remote.]class.id`; id may be `*` (all of the class) or `?` (any one). */
export interface ResourceRef {
  readonly kind: 'resource';
  readonly scope: 'local' | 'remote';
  readonly cls: string;
  readonly id: string;
}

export type RuleExpr =
  | ResourceRef
  | { readonly kind: 'value'; readonly value: string }
  | { readonly kind: 'not'; readonly expr: RuleExpr }
  | { readonly kind: 'and' | 'or'; readonly left: RuleExpr; readonly right: RuleExpr }
  | { readonly kind: 'eq' | 'ne'; readonly left: RuleExpr; readonly right: RuleExpr }
  | { readonly kind: 'cluster' };

export type RuleOutcome =
  | { readonly kind: 'action'; readonly action: RuleAction }
  | { readonly kind: 'assign'; readonly resource: string; readonly value: string };

export interface FailoverRule {
  readonly name: string;
  readonly when: RuleExpr;
  readonly then: RuleOutcome;
  /** Where the rule comes from: built-in component rules, checker-generated, or `<failover>`. */
  readonly origin: 'builtin' | 'generated' | 'user';
}
