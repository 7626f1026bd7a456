// The legacy failover-rule language (SAFEKIT-BEHAVIOUR §7.2):
//   label: if ( expression ) then action;
// with actions stop() stopstart() wait() restart() swap(), resource assignments (`then
// rfs.uptodate=up`), `!`, `&&`, `||`, `==`, `!=`, parentheses, the `cluster()` predicate and
// C comments. Every syntax error names its line and column inside the file.

import type { FailoverRule, RuleAction, RuleExpr, RuleOutcome } from '../shared/rules.js';
import type { Position } from './problems.js';

export interface RuleSyntaxError {
  readonly message: string;
  readonly pos: Position;
}

interface Token {
  readonly kind: 'id' | 'op' | 'end';
  readonly text: string;
  readonly pos: Position;
}

const ACTIONS: readonly RuleAction[] = ['stop', 'stopstart', 'wait', 'restart', 'swap'];
const STATES = new Set(['init', 'down', 'up', 'unknown']);

/** Parses one CDATA block that starts at `origin` in the file. */
export function parseRules(text: string, origin: Position): { rules: FailoverRule[]; errors: RuleSyntaxError[] } {
  const tokens = tokenize(text, origin);
  const rules: FailoverRule[] = [];
  const errors: RuleSyntaxError[] = [];
  let k = 0;
  const peek = (): Token => tokens[k] ?? tokens[tokens.length - 1];
  const take = (): Token => tokens[k++] ?? tokens[tokens.length - 1];
  const expect = (text: string, what: string): void => {
    const t = take();
    if (t.text !== text) throw syntax(`expected "${text}" ${what}, found ${describe(t)}`, t.pos);
  };

  function primary(): RuleExpr {
    const t = take();
    if (t.text === '(') {
      const e = orExpr();
      expect(')', 'to close "("');
      return e;
    }
    if (t.text === '!') return { kind: 'not', expr: primary() };
    if (t.kind !== 'id') throw syntax(`expected a resource or a state, found ${describe(t)}`, t.pos);
    if (t.text === 'cluster' && peek().text === '(') {
      take();
      expect(')', 'after cluster(');
      return { kind: 'cluster' };
    }
    if (STATES.has(t.text)) return { kind: 'value', value: t.text };
    return resource(t);
  }

  function comparison(): RuleExpr {
    const left = primary();
    const op = peek().text;
    if (op === '==' || op === '!=') {
      take();
      const right = primary();
      return { kind: op === '==' ? 'eq' : 'ne', left, right };
    }
    return left;
  }

  function andExpr(): RuleExpr {
    let left = comparison();
    while (peek().text === '&&') { take(); left = { kind: 'and', left, right: comparison() }; }
    return left;
  }

  function orExpr(): RuleExpr {
    let left = andExpr();
    while (peek().text === '||') { take(); left = { kind: 'or', left, right: andExpr() }; }
    return left;
  }

  function outcome(): RuleOutcome {
    const t = take();
    if (t.kind !== 'id') throw syntax(`expected an action after "then", found ${describe(t)}`, t.pos);
    if (peek().text === '(') {
      take();
      expect(')', `after ${t.text}(`);
      if (!(ACTIONS as readonly string[]).includes(t.text)) {
        throw syntax(`unknown action ${t.text}()`, t.pos, `use one of ${ACTIONS.map((a) => `${a}()`).join(', ')}`);
      }
      return { kind: 'action', action: t.text as RuleAction };
    }
    if (peek().text === '=') {
      take();
      const v = take();
      if (v.kind !== 'id') throw syntax(`expected a value after "${t.text}=", found ${describe(v)}`, v.pos);
      return { kind: 'assign', resource: t.text, value: v.text };
    }
    throw syntax(`expected an action such as wait() after "then", found "${t.text}"`, t.pos);
  }

  while (peek().kind !== 'end') {
    const start = k;
    try {
      const label = take();
      if (label.kind !== 'id') throw syntax(`expected a rule label, found ${describe(label)}`, label.pos);
      expect(':', `after the rule label ${label.text}`);
      const kw = take();
      if (kw.text !== 'if') throw syntax(`expected "if" after "${label.text}:", found ${describe(kw)}`, kw.pos);
      expect('(', 'after "if"');
      const when = orExpr();
      expect(')', 'to end the condition');
      const then = take();
      if (then.text !== 'then') throw syntax(`expected "then", found ${describe(then)}`, then.pos);
      const out = outcome();
      expect(';', 'to end the rule');
      if (rules.some((r) => r.name === label.text)) throw syntax(`rule ${label.text} is defined twice`, label.pos, 'give each rule its own label');
      rules.push({ name: label.text, when, then: out, origin: 'user' });
    } catch (e) {
      if (!(e instanceof RuleError)) throw e;
      errors.push({ message: e.message, pos: e.pos });
      // recover at the next ";"
      k = Math.max(k, start + 1);
      while (peek().kind !== 'end' && take().text !== ';');
    }
  }
  return { rules, errors };
}

function resource(t: Token): RuleExpr {
  const parts = t.text.split('.');
  let scope: 'local' | 'remote' = 'local';
  if (parts[0] === 'local' || parts[0] === 'remote') scope = parts.shift() as 'local' | 'remote';
  if (parts.length < 2 || parts.some((p) => p === '')) {
    throw syntax(`"${t.text}" is not a resource name`, t.pos, 'write class.id, for example tcp.web or remote.rfs.uptodate');
  }
  return { kind: 'resource', scope, cls: parts[0], id: parts.slice(1).join('.') };
}

class RuleError extends Error {
  constructor(message: string, readonly pos: Position) {
    super(message);
  }
}

function syntax(message: string, pos: Position, hint?: string): RuleError {
  return new RuleError(hint ? `${message}; ${hint}` : message, pos);
}

function describe(t: Token): string {
  return t.kind === 'end' ? 'the end of the rules' : `"${t.text}"`;
}

function tokenize(text: string, origin: Position): Token[] {
  const out: Token[] = [];
  let line = origin.line;
  let col = origin.col;
  let i = 0;
  const step = (n: number): void => {
    for (let j = 0; j < n; j++) {
      if (text[i] === '\n') { line++; col = 1; } else col++;
      i++;
    }
  };
  while (i < text.length) {
    const c = text[i];
    if (/\s/.test(c)) { step(1); continue; }
    if (text.startsWith('/*', i)) {
      const end = text.indexOf('*/', i + 2);
      step((end < 0 ? text.length : end + 2) - i);
      continue;
    }
    const pos = { line, col };
    const two = text.slice(i, i + 2);
    if (['==', '!=', '&&', '||'].includes(two)) { out.push({ kind: 'op', text: two, pos }); step(2); continue; }
    if ('():;!='.includes(c)) { out.push({ kind: 'op', text: c, pos }); step(1); continue; }
    const m = /^[A-Za-z0-9_.*?%-]+/.exec(text.slice(i));
    if (m) { out.push({ kind: 'id', text: m[0], pos }); step(m[0].length); continue; }
    out.push({ kind: 'op', text: c, pos });
    step(1);
  }
  out.push({ kind: 'end', text: '', pos: { line, col } });
  return out;
}
