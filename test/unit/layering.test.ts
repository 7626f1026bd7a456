// The layering rule is real: it refuses a clock, a timer, randomness, I/O or an outer layer in
// src/core, and an outer import in src/shared. (The same lint runs over the tree in `npm test`.)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ESLint } from 'eslint';

const eslint = new ESLint();

async function messages(code: string, filePath: string): Promise<string[]> {
  const [r] = await eslint.lintText(code, { filePath });
  return r.messages.map((m) => m.ruleId ?? m.message);
}

async function flaggedLines(code: string, filePath: string): Promise<number[]> {
  const [r] = await eslint.lintText(code, { filePath });
  return [...new Set(r.messages.map((m) => m.line))].sort((a, b) => a - b);
}

test('src/core may not read the clock, set timers, draw random numbers or do I/O', async () => {
  const code = [
    "import { readFileSync } from 'node:fs';",
    "import { loadCluster } from '../../config/load.js';",
    'export const a = Date.now();',
    'export const b = Math.random();',
    'export const c = new Date();',
    'setTimeout(() => undefined, 1);',
    'export const d = process.env.X;',
    'export { readFileSync, loadCluster };',
  ].join('\n');
  assert.deepEqual(await flaggedLines(code, 'src/core/mirror/planted.ts'), [1, 2, 3, 4, 5, 6, 7], 'every planted violation is refused');
  assert.deepEqual(await flaggedLines(code, 'src/cli/fine.ts'), [], 'outer layers may do all of it');
});

test('src/core may import src/shared and itself; src/shared may import nothing of ours', async () => {
  assert.deepEqual(await messages("import type { Generation } from '../../shared/generation.js';\nimport { log } from '../actions.js';\nexport type X = Generation; export { log };", 'src/core/mirror/ok.ts'), []);
  assert.deepEqual(await messages("import { x } from '../core/actions.js';\nexport { x };", 'src/shared/planted.ts'), ['no-restricted-imports']);
});
