// errd's verdict on a process list: by command name (first 15 characters, as Linux keeps them), or
// nameregex, filtered by argregex; atleast and atmax.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { countMatching, failing } from '../../src/checkers/errd.js';
import type { ProcCheck } from '../../src/shared/config.js';

const proc = (over: Partial<ProcCheck>): ProcCheck => ({ name: 'postgres', service: false, atleast: 1, atmax: -1, action: 'restart', cls: 'prim', startAfter: 0, ...over });
const ps = [
  { comm: 'postgres', args: '/usr/lib/postgresql/15/bin/postgres -D /data' },
  { comm: 'postgres', args: 'postgres: checkpointer' },
  { comm: 'averyverylongpr', args: '/opt/averyverylongprogramname --serve' },
  { comm: 'sleep', args: 'sleep 100' },
];

test('processes are counted by name, nameregex and argregex', () => {
  assert.equal(countMatching(proc({}), ps), 2);
  assert.equal(countMatching(proc({ argregex: '-D /data' }), ps), 1);
  assert.equal(countMatching(proc({ name: 'averyverylongprogramname' }), ps), 1, 'names are compared on their first 15 characters');
  assert.equal(countMatching(proc({ name: 'db', nameregex: '^post' }), ps), 2);
  assert.equal(countMatching(proc({ name: 'nginx' }), ps), 0);
});

test('atleast and atmax decide a failure; -1 disables a bound', () => {
  assert.equal(failing(proc({ atleast: 1 }), 0), true);
  assert.equal(failing(proc({ atleast: 1 }), 1), false);
  assert.equal(failing(proc({ atleast: -1, atmax: 2 }), 2), true);
  assert.equal(failing(proc({ atleast: -1, atmax: 2 }), 1), false);
  assert.equal(failing(proc({ atleast: -1, atmax: 0 }), 1), true, 'atmax 0: any instance is a failure');
  assert.equal(failing(proc({ atleast: -1, atmax: -1 }), 0), false);
});
