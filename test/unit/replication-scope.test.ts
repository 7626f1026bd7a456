// <notreplicated> at run time (src/replication/scope.ts): whatever the primary does — names
// created in or out of the scope, renames across its boundary, whole directories moved in and out
// — the copy ends up holding exactly the replicated part of the tree, whether the changes were
// sent live or noted in the dirty map and sent by a reintegration; and what the secondary keeps at
// excluded names (its own files) is never touched.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseUserConfig } from '../../src/config/userconfig.js';
import { replicationFilter, type ReplicationFilter } from '../../src/config/filters.js';
import type { Mutation } from '../../src/fuse/passthrough.js';
import { CopyApplier } from '../../src/replication/apply.js';
import { DirtyMap } from '../../src/replication/dirty-map.js';
import { compareManifests, describe, type ManifestEntry } from '../../src/replication/manifest.js';
import { scopedOps, zoneOps } from '../../src/replication/resync.js';
import { recordScoped, scopedChange } from '../../src/replication/scope.js';

function scopeOf(rules: string): ReplicationFilter {
  const xml = `<safe><service mode="mirror"><heart><heartbeat name="default"/></heart>
    <rfs><replicated dir="/data">${rules}</replicated></rfs></service></safe>`;
  const r = parseUserConfig(xml, 'u.xml');
  assert.ok(r.config, r.problems.items.map((p) => p.message).join('; '));
  return replicationFilter(r.config.rfs!.replicated[0]);
}

async function manifest(root: string, scope: ReplicationFilter): Promise<ManifestEntry[]> {
  const out: ManifestEntry[] = [];
  await describe(root, scope, (batch) => out.push(...batch));
  return out;
}

/** A primary and a copy; each step changes the primary as an application would and reports the mutation. */
function lab(scope: ReplicationFilter, mode: 'live' | 'reintegration') {
  const base = fs.mkdtempSync(join(tmpdir(), 'tandem-scope-'));
  const primary = join(base, 'p');
  const copy = join(base, 'c');
  fs.mkdirSync(primary);
  fs.mkdirSync(copy);
  const src = { root: primary, scope };
  const applier = new CopyApplier(copy);
  const dirty = new DirtyMap();
  const P = (rel: string) => join(primary, rel);
  return {
    copy, P,
    change(m: Mutation, local: () => void): void {
      local();
      const scoped = scopedChange(src, m);
      if (mode === 'reintegration') { recordScoped(dirty, m, scoped); return; }
      for (const op of scoped === null ? [m] : scopedOps(src, scoped)) applier.apply(op);
    },
    async finish(): Promise<void> {
      if (mode === 'reintegration') for (const op of zoneOps(src, dirty.snapshot(), { files: 0, bytes: 0 })) applier.apply(op);
      applier.closeAll();
      assert.deepEqual(compareManifests(await manifest(primary, scope), await manifest(copy, scope)), []);
    },
    /** What the FUSE layer sends when a written file is closed: its times. */
    closed(rel: string): void {
      const st = fs.lstatSync(P(rel), { bigint: true });
      this.change({ op: 'utimens', path: rel, atimeNs: st.atimeNs, mtimeNs: st.mtimeNs }, () => undefined);
    },
    done: () => fs.rmSync(base, { recursive: true, force: true }),
  };
}

for (const mode of ['live', 'reintegration'] as const) {
  test(`exclusions (${mode}): renames into, out of and within the scope, files and directories`, async () => {
    const scope = scopeOf('<notreplicated path="tmp"/><notreplicated regexpath="\\.log$"/>');
    const l = lab(scope, mode);
    try {
      const { P } = l;
      fs.mkdirSync(join(l.copy, 'tmp'));
      fs.writeFileSync(join(l.copy, 'tmp', 'secondary-own'), 'mine'); // the secondary's own, at an excluded name
      const mk = (rel: string) => l.change({ op: 'mkdir', path: rel, mode: 0o755, uid: 0, gid: 0 }, () => fs.mkdirSync(P(rel), { mode: 0o755 }));
      const put = (rel: string, text: string) => {
        l.change({ op: 'create', path: rel, mode: 0o644, uid: 0, gid: 0 }, () => fs.writeFileSync(P(rel), ''));
        l.change({ op: 'write', path: rel, offset: 0, data: Buffer.from(text) }, () => fs.writeFileSync(P(rel), text));
        l.closed(rel);
      };
      const mv = (from: string, to: string) => l.change({ op: 'rename', from, to, noReplace: false }, () => fs.renameSync(P(from), P(to)));
      mk('tmp');
      mk('data');
      put('tmp/saving', 'the new version'); // an atomic save through an excluded directory
      put('data/doc', 'the old version');
      mv('tmp/saving', 'data/doc');
      put('data/leaving', 'goes to tmp');
      mv('data/leaving', 'tmp/leaving');
      put('data/rotated', 'becomes a log');
      mv('data/rotated', 'data/rotated.log');
      mk('d1');
      put('d1/a.txt', 'a');
      put('d1/b.log', 'b');
      mv('d1', 'tmp/d1'); // a whole directory leaves the scope
      mv('tmp/d1', 'd2'); // and comes back under another name
      mk('d3');
      put('d3/c.txt', 'c');
      mv('d3', 'd4'); // within the scope: a plain rename
      await l.finish();
      assert.equal(fs.readFileSync(join(l.copy, 'data/doc'), 'utf8'), 'the new version');
      assert.equal(fs.existsSync(join(l.copy, 'data/leaving')), false);
      assert.equal(fs.existsSync(join(l.copy, 'data/rotated')), false);
      assert.equal(fs.existsSync(join(l.copy, 'data/rotated.log')), false);
      assert.equal(fs.readFileSync(join(l.copy, 'd2/a.txt'), 'utf8'), 'a');
      assert.equal(fs.existsSync(join(l.copy, 'd2/b.log')), false, 'an excluded name inside a directory that came in is not sent');
      assert.equal(fs.existsSync(join(l.copy, 'd1')), false);
      assert.equal(fs.readFileSync(join(l.copy, 'd4/c.txt'), 'utf8'), 'c');
      assert.equal(fs.readFileSync(join(l.copy, 'tmp/secondary-own'), 'utf8'), 'mine', "the secondary's own file at an excluded name is kept");
    } finally {
      l.done();
    }
  });

  test(`"!" rules (${mode}): only matching files, their directories created when needed with their modes`, async () => {
    const scope = scopeOf('<notreplicated regexpath="!\\.db$"/>');
    const l = lab(scope, mode);
    try {
      const { P } = l;
      const mk = (rel: string, mode = 0o750) => l.change({ op: 'mkdir', path: rel, mode, uid: 0, gid: 0 }, () => fs.mkdirSync(P(rel), { mode }));
      const put = (rel: string, text: string) => {
        l.change({ op: 'create', path: rel, mode: 0o600, uid: 0, gid: 0 }, () => fs.writeFileSync(P(rel), '', { mode: 0o600 }));
        l.change({ op: 'write', path: rel, offset: 0, data: Buffer.from(text) }, () => fs.writeFileSync(P(rel), text));
        l.closed(rel);
      };
      mk('a', 0o700);
      mk('a/b');
      mk('empty');
      put('a/notes.txt', 'not replicated');
      put('a/b/main.db', 'rows');
      l.change({ op: 'chmod', path: 'a', mode: 0o711 }, () => fs.chmodSync(P('a'), 0o711));
      // a directory's fsync (after a rename into place) reaches the copy only where the copy has it
      const syncDir = (rel: string) => l.change({ op: 'fsync', path: rel, dataOnly: false }, () => undefined);
      syncDir('empty'); // not on the copy: applying it there would fail
      syncDir('a/b');
      syncDir('');
      put('a/b/old.db', 'gone soon');
      l.change({ op: 'rename', from: 'a/b/old.db', to: 'a/b/old.txt', noReplace: false }, () => fs.renameSync(P('a/b/old.db'), P('a/b/old.txt')));
      await l.finish();
      assert.equal(fs.readFileSync(join(l.copy, 'a/b/main.db'), 'utf8'), 'rows');
      assert.equal(fs.statSync(join(l.copy, 'a')).mode & 0o777, 0o711, 'a directory created when needed has the primary\'s mode');
      assert.equal(fs.existsSync(join(l.copy, 'a/notes.txt')), false);
      assert.equal(fs.existsSync(join(l.copy, 'a/b/old.db')), false);
      assert.equal(fs.existsSync(join(l.copy, 'empty')), false, 'a directory holding no replicated file is not created');
    } finally {
      l.done();
    }
  });
}
