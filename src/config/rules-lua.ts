// The two Lua rule forms SafeKit documents (SAFEKIT-BEHAVIOUR §7.3), read without a Lua engine:
//   Rules = Rules + { label=if_then("custom.AppChecker","down",Action.stopstart), _group="checker" }
//   Rules.disable("ip_failure")
// Anything else in a `--Lua Rules` block is refused with its line and column, so a rule is never
// silently dropped.

import type { FailoverRule, RuleAction } from '../shared/rules.js';
import type { Position } from './problems.js';
import type { RuleSyntaxError } from './rules-parse.js';

const ACTIONS: readonly RuleAction[] = ['stop', 'stopstart', 'wait', 'restart', 'swap'];

export function parseLuaRules(text: string, origin: Position): { rules: FailoverRule[]; disabled: string[]; errors: RuleSyntaxError[] } {
  const rules: FailoverRule[] = [];
  const disabled: string[] = [];
  const errors: RuleSyntaxError[] = [];
  const posAt = (index: number): Position => {
    const before = text.slice(0, index).split('\n');
    return before.length === 1 ? { line: origin.line, col: origin.col + index } : { line: origin.line + before.length - 1, col: before[before.length - 1].length + 1 };
  };
  // blank out comments (keeping offsets) so positions stay right
  const body = text.replace(/--[^\n]*/g, (c) => ' '.repeat(c.length));
  const statement = /\s*(?:Rules\.disable\(\s*"([^"]+)"\s*\)|Rules\s*=\s*Rules\s*\+\s*\{([^}]*)\})\s*;?/y;
  let i = 0;
  while (i < body.length) {
    if (/\s/.test(body[i])) { i++; continue; }
    statement.lastIndex = i;
    const m = statement.exec(body);
    if (!m) {
      const end = body.indexOf('\n', i);
      errors.push({ pos: posAt(i), message: `unsupported Lua rule statement "${body.slice(i, end < 0 ? undefined : end).trim().slice(0, 60)}"; tandem reads Rules = Rules + { name=if_then("class.id","state",Action.x) } and Rules.disable("name"), or the legacy rule language` });
      i = end < 0 ? body.length : end + 1;
      continue;
    }
    if (m[1] !== undefined) disabled.push(m[1]);
    else {
      const inner = m[2];
      const innerStart = m.index + m[0].indexOf('{') + 1;
      const entry = /\s*(?:(\w+)\s*=\s*if_then\(\s*"([^"]+)"\s*,\s*"([^"]+)"\s*,\s*Action\.(\w+)\s*\)|_group\s*=\s*"[^"]*")\s*,?/y;
      let k = 0;
      while (k < inner.length) {
        if (/\s/.test(inner[k])) { k++; continue; }
        entry.lastIndex = k;
        const e = entry.exec(inner);
        if (!e) {
          errors.push({ pos: posAt(innerStart + k), message: 'expected name=if_then("class.id","state",Action.x) or _group="…" inside Rules + { … }' });
          break;
        }
        if (e[1] !== undefined) {
          const [cls, ...id] = e[2].replace(/^(local|remote)\./, '').split('.');
          const scope = e[2].startsWith('remote.') ? 'remote' : 'local';
          const action = e[4] as RuleAction;
          if (!ACTIONS.includes(action) || id.length === 0) errors.push({ pos: posAt(innerStart + k), message: `rule ${e[1]}: ${id.length === 0 ? `"${e[2]}" is not a resource` : `unknown action Action.${e[4]}`}` });
          else rules.push({ name: e[1], origin: 'user', then: { kind: 'action', action }, when: { kind: 'eq', left: { kind: 'resource', scope, cls, id: id.join('.') }, right: { kind: 'value', value: e[3] } } });
        }
        k = entry.lastIndex;
      }
    }
    i = statement.lastIndex;
  }
  return { rules, disabled, errors };
}
