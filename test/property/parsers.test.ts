// Properties of the small parsers: POSIX ERE translation and the failover-rule language never
// throw on any input; accepted EREs compile; rule syntax errors carry positions.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { ereToJs } from '../../src/config/ere.js';
import { parseRules } from '../../src/config/rules-parse.js';
import { compareGenerations, advanceGeneration, type Generation } from '../../src/shared/generation.js';

const ereChars = fc.constantFrom('a', 'b', '.', '*', '+', '?', '|', '(', ')', '[', ']', '^', '$', '\\', '{', '}', ',', '1', '2', ':', '-', '[:alpha:]', '[:digit:]', '/');

test('ERE translation never throws; what it accepts compiles as a JavaScript RegExp', () => {
  fc.assert(fc.property(fc.array(ereChars, { maxLength: 20 }).map((a) => a.join('')), (ere) => {
    const r = ereToJs(ere);
    if (r.ok) assert.doesNotThrow(() => new RegExp(r.js));
    else assert.ok(r.index >= 0 && r.index <= ere.length && r.message.length > 0);
  }), { numRuns: 5000 });
});

const ruleTokens = fc.constantFrom('r', ':', 'if', '(', ')', 'then', 'wait()', 'restart()', 'stop', ';', '&&', '||', '!', '==', '!=', 'tcp.web', 'remote.rfs.uptodate', 'down', 'up', 'cluster()', '/*', '*/', '\n', 'x.y=up');

test('the rule parser never throws and positions every syntax error inside the text', () => {
  fc.assert(fc.property(fc.array(ruleTokens, { maxLength: 30 }).map((a) => a.join(' ')), (text) => {
    const { errors } = parseRules(text, { line: 10, col: 5 });
    const lines = text.split('\n').length;
    for (const e of errors) assert.ok(e.pos.line >= 10 && e.pos.line <= 10 + lines && e.pos.col >= 1, `${e.pos.line}:${e.pos.col}`);
  }), { numRuns: 5000 });
});

test('generation relations are consistent from both sides', () => {
  const inverse = { equal: 'equal', behind: 'ahead', ahead: 'behind', divergent: 'divergent', unrelated: 'unrelated' } as const;
  const lineage = fc.array(fc.constantFrom('a', 'b'), { maxLength: 6 });
  fc.assert(fc.property(lineage, lineage, fc.nat(4), (pa, pb, shared) => {
    let base: Generation = { current: 'root', history: [] };
    for (let i = 0; i < shared; i++) base = advanceGeneration(base, `s${i}`);
    const a = pa.reduce((g, _, i) => advanceGeneration(g, `a${i}`), base);
    const b = pb.reduce((g, _, i) => advanceGeneration(g, `b${i}`), base);
    assert.equal(compareGenerations(b, a), inverse[compareGenerations(a, b)]);
    if (pa.length > 0 && pb.length === 0) assert.equal(compareGenerations(a, b), 'ahead');
    if (pa.length > 0 && pb.length > 0) assert.equal(compareGenerations(a, b), 'divergent');
  }), { numRuns: 3000 });
});
