// Replication filters: exclusions win, "!" replicates only matching names, directories follow.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseUserConfig } from '../../src/config/userconfig.js';
import { replicationFilter } from '../../src/config/filters.js';

function filterOf(rules: string) {
  const xml = `<safe><service mode="mirror"><heart><heartbeat name="default"/></heart>
    <rfs><replicated dir="/data">${rules}</replicated></rfs></service></safe>`;
  const r = parseUserConfig(xml, 'u.xml');
  assert.ok(r.config, r.problems.items.map((p) => p.message).join('; '));
  return replicationFilter(r.config.rfs!.replicated[0]);
}

test('plain exclusions: a path, its subtree, and regexpath matches (any ancestor)', () => {
  const f = filterOf('<notreplicated path="cache"/><notreplicated regexpath="\\.tmp$"/><notreplicated regexpath="^logs/[[:digit:]]+$"/>');
  assert.equal(f.file('db/table.dat'), true);
  assert.equal(f.file('cache'), false);
  assert.equal(f.file('cache/a/b'), false);
  assert.equal(f.file('cachefile'), true, 'a sibling sharing the prefix is not excluded');
  assert.equal(f.file('x/y.tmp'), false);
  assert.equal(f.file('logs/2024/app.log'), false, 'excluded through its ancestor logs/2024');
  assert.equal(f.file('logs/current/app.log'), true);
  assert.equal(f.directory('cache'), 'excluded');
});

test('"!" replicates only matching files; their directories are created when needed', () => {
  const f = filterOf('<notreplicated regexpath="!\\.db$"/><notreplicated regexpath="!^conf$"/>');
  assert.equal(f.file('a/b/main.db'), true);
  assert.equal(f.file('a/b/readme.txt'), false);
  assert.equal(f.directory('a/b'), 'when-needed');
  assert.equal(f.directory('conf'), 'replicated');
});

test('mixing "!" with exclusions: the exclusion wins', () => {
  const f = filterOf('<notreplicated regexpath="!\\.db$"/><notreplicated path="scratch"/>');
  assert.equal(f.file('scratch/x.db'), false);
  assert.equal(f.file('keep/x.db'), true);
});

test('renames across the boundary', () => {
  const f = filterOf('<notreplicated regexpath="\\.tmp$"/>');
  assert.equal(f.rename('a.tmp', 'a.dat'), 'send-as-new');
  assert.equal(f.rename('a.dat', 'a.tmp'), 'delete-on-secondary');
  assert.equal(f.rename('a.dat', 'b.dat'), 'rename');
  assert.equal(f.rename('a.tmp', 'b.tmp'), 'nothing');
});
