// <failover>: the rule set a module runs. Built-in checker rules (interface_failure, ip_failure,
// module_failure, splitbrain_failure), rules generated from checker actions (t_, p_, c_ + ident),
// then the user's rules. `extends="no"` drops built-in and generated checker rules; the mirror's
// own replication rule (notuptodate_server) lives in the core and always applies.

import type { Checker } from '../shared/config.js';
import type { FailoverRule, RuleAction } from '../shared/rules.js';
import { Attrs, oneOf, time } from './attrs.js';
import type { ProblemList } from './problems.js';
import type { XmlElement } from './xml.js';
import { parseRules } from './rules-parse.js';
import { parseLuaRules } from './rules-lua.js';
import type { TimingProfile } from './timing.js';

const PREFIX: Partial<Record<Checker['type'], string>> = { tcp: 't_', ping: 'p_', custom: 'c_' };
const FIXED: Partial<Record<Checker['type'], { name: string; action: RuleAction; id?: string }>> = {
  intf: { name: 'interface_failure', action: 'wait' },
  ip: { name: 'ip_failure', action: 'stopstart' },
  module: { name: 'module_failure', action: 'wait' },
  splitbrain: { name: 'splitbrain_failure', action: 'wait', id: 'uptodate' },
};

export function checkerRules(checkers: readonly Checker[]): FailoverRule[] {
  const rules: FailoverRule[] = [];
  for (const [type, fixed] of Object.entries(FIXED) as [Checker['type'], NonNullable<(typeof FIXED)[Checker['type']]>][]) {
    if (!checkers.some((c) => c.type === type)) continue;
    rules.push({
      name: fixed.name, origin: 'builtin', then: { kind: 'action', action: fixed.action },
      when: { kind: 'eq', left: { kind: 'resource', scope: 'local', cls: type, id: fixed.id ?? '?' }, right: { kind: 'value', value: 'down' } },
    });
  }
  for (const c of checkers) {
    const prefix = PREFIX[c.type];
    if (!prefix || c.action === 'noaction') continue;
    rules.push({
      name: `${prefix}${c.ident}`, origin: 'generated', then: { kind: 'action', action: c.action },
      when: { kind: 'eq', left: { kind: 'resource', scope: 'local', cls: c.type, id: c.ident }, right: { kind: 'value', value: 'down' } },
    });
  }
  return rules;
}

export function readFailover(el: XmlElement | undefined, checkers: readonly Checker[], profile: TimingProfile, problems: ProblemList): { extends: boolean; periodMs: number; handleTimeMs: number; rules: FailoverRule[] } {
  const base = checkerRules(checkers);
  if (!el) return { extends: true, periodMs: profile.rulePeriodMs, handleTimeMs: profile.handleTimeMs, rules: base };
  const a = new Attrs(el, { extends: oneOf('yes', 'no'), period: time('ms'), handle_time: time('ms') }, problems);
  const period = a.num('period', profile.rulePeriodMs);
  const handle = a.num('handle_time', profile.handleTimeMs);
  if (period === 0) problems.error(a.pos('period'), 'period="0" would evaluate the rules continuously', `use the profile's ${profile.rulePeriodMs}ms or another positive value`);
  else if (handle % period !== 0) problems.error(a.pos('handle_time'), `handle_time ${handle} ms is not a multiple of period ${period} ms`, `use for example handle_time="${period * 3}ms"`);
  const user: FailoverRule[] = [];
  const disabled = new Set<string>();
  for (const block of el.cdata) {
    if (/^\s*--\s*Lua Rules/i.test(block.text)) {
      const lua = parseLuaRules(block.text, block.pos);
      for (const e of lua.errors) problems.error(e.pos, `failover rule (Lua): ${e.message}`);
      for (const name of lua.disabled) {
        if (!base.some((b) => b.name === name)) problems.warning(block.pos, `Rules.disable("${name}") names no built-in or generated rule`, `rules in force: ${base.map((b) => b.name).join(', ') || 'none'}`);
        disabled.add(name);
      }
      user.push(...lua.rules);
      continue;
    }
    const { rules, errors } = parseRules(block.text, block.pos);
    for (const e of errors) problems.error(e.pos, `failover rule: ${e.message}`);
    user.push(...rules);
  }
  if (el.text) problems.error(el.pos, 'failover rules must be inside <![CDATA[ … ]]>', 'wrap the rules in a CDATA section');
  const extendsDefaults = a.str('extends', 'yes') === 'yes';
  if (!extendsDefaults) problems.warning(a.pos('extends'), 'extends="no" drops the built-in checker rules', 'keep extends="yes" unless you rewrite every rule you need');
  for (const r of user) {
    if (base.some((b) => b.name === r.name) && extendsDefaults) problems.error(el.pos, `user rule ${r.name} has the name of a built-in or generated rule`, 'rename the rule');
  }
  const kept = base.filter((r) => !disabled.has(r.name));
  return { extends: extendsDefaults, periodMs: period, handleTimeMs: handle, rules: extendsDefaults ? [...kept, ...user] : user };
}
