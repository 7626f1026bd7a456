// Runs every scenario file in test/scenario/cases against the real core. A mismatch prints the
// block, the expected and the actual output; UPDATE_GOLDEN=1 rewrites the files (review the diff).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseBlocks, renderBlocks } from './datadriven.js';
import { Interpreter } from './interpreter.js';

const dir = join(process.cwd(), 'test/scenario/cases');
const files = readdirSync(dir).filter((f) => f.endsWith('.txt')).sort();

test('there are at least 40 scenario files', () => {
  assert.ok(files.length >= 40, `only ${files.length} scenario files`);
});

for (const file of files) {
  test(`scenario ${file}`, () => {
    const path = join(dir, file);
    const text = readFileSync(path, 'utf8');
    const blocks = parseBlocks(text);
    const interp = new Interpreter();
    const actual = blocks.map((b) => interp.run(b.commands));
    if (process.env.UPDATE_GOLDEN) {
      writeFileSync(path, renderBlocks(text, actual));
      return;
    }
    blocks.forEach((b, i) => {
      assert.deepEqual(actual[i], b.expected, `${file}:${b.line}: output of "${b.commands.join('; ')}" differs`);
    });
  });
}
