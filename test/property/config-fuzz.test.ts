// Property: whatever bytes a configuration file holds, the parsers never crash or hang, and every
// problem they report carries a real location (line ≥ 1, column ≥ 1, inside the file). Valid
// files are mutated by deleting, duplicating, retyping, truncating and injecting bytes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { parseUserConfig } from '../../src/config/userconfig.js';
import { parseClusterXml } from '../../src/config/cluster.js';

const CASES = Number(process.env.FUZZ_CASES ?? 10_000);

const seeds = [
  'templates/mirror/conf/userconfig.xml', 'templates/farm/conf/userconfig.xml', 'templates/customchecker/conf/userconfig.xml', 'templates/cluster.xml',
].map((f) => ({ file: f, text: readFileSync(f, 'utf8') }));
const cluster = parseClusterXml(seeds[3].text, 'cluster.xml').config!;

type Mutation =
  | { kind: 'delete'; at: number; len: number }
  | { kind: 'duplicate'; at: number; len: number }
  | { kind: 'retype'; at: number; value: string }
  | { kind: 'truncate'; at: number }
  | { kind: 'inject'; at: number; bytes: string };

const nasty = fc.constantFrom('<', '>', '&', '"', "'", '/>', '</', '<![CDATA[', ']]>', '<!--', '%X%', '\u0000', '\uFEFF', '\n', '=', '-1', '99999999999999999', '1e9', '5ms', '0', '[[:alpha:]', '\\d', '(?=x)', 'é', '\uD800');
const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant('delete' as const), at: fc.nat(), len: fc.integer({ min: 1, max: 40 }) }),
  fc.record({ kind: fc.constant('duplicate' as const), at: fc.nat(), len: fc.integer({ min: 1, max: 120 }) }),
  fc.record({ kind: fc.constant('retype' as const), at: fc.nat(), value: fc.oneof(nasty, fc.string({ maxLength: 12 }), fc.integer().map(String)) }),
  fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('inject' as const), at: fc.nat(), bytes: fc.oneof(nasty, fc.string({ maxLength: 8, unit: 'binary' })) }),
);

function apply(text: string, m: Mutation): string {
  const at = text.length ? m.at % (text.length + 1) : 0;
  switch (m.kind) {
    case 'delete': return text.slice(0, at) + text.slice(at + m.len);
    case 'duplicate': return text.slice(0, at + m.len) + text.slice(at, at + m.len) + text.slice(at + m.len);
    case 'truncate': return text.slice(0, at);
    case 'inject': return text.slice(0, at) + m.bytes + text.slice(at);
    case 'retype': {
      // replace the value of the attribute nearest to `at`
      const re = /="[^"]*"/g;
      const spots = [...text.matchAll(re)];
      if (spots.length === 0) return text;
      const s = spots[m.at % spots.length];
      return text.slice(0, s.index! + 2) + m.value.replace(/"/g, '') + text.slice(s.index! + s[0].length - 1);
    }
  }
}

test(`config parsers survive ${CASES} mutated files, and every problem has a location`, () => {
  let rejected = 0;
  fc.assert(
    fc.property(fc.nat(seeds.length - 1), fc.array(mutation, { minLength: 1, maxLength: 4 }), (which, mutations) => {
      const seed = seeds[which];
      const text = mutations.reduce(apply, seed.text);
      const started = performance.now();
      const r = seed.file.endsWith('cluster.xml')
        ? parseClusterXml(text, seed.file)
        : parseUserConfig(text, seed.file, { cluster, installedOn: which === 0 ? ['n1', 'n2'] : undefined });
      const ms = performance.now() - started;
      assert.ok(ms < 1000, `parsing took ${ms.toFixed(0)} ms`);
      const lines = text.split('\n').length;
      for (const p of r.problems.items) {
        assert.ok(p.line >= 1 && p.line <= lines + 1 && p.col >= 1, `problem without a real location: ${p.line}:${p.col} ${p.message}`);
        assert.ok(p.message.length > 0);
      }
      if (r.config === null) {
        rejected++;
        assert.ok(r.problems.items.some((p) => p.severity === 'error'), 'a rejected file names at least one error');
      }
    }),
    { numRuns: CASES, seed: Number(process.env.FUZZ_SEED ?? 42) },
  );
  assert.ok(rejected > CASES / 10, `mutations should break many files (rejected ${rejected})`);
});
