// The tandem command as a user runs it: exit codes, line:col problems, --json, daemon messages.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Store } from '../../src/store/store.js';
import { runTandem } from '../helpers.js';
import { parseRfssync } from '../../src/cli/rfs.js';

const tandem = (...args: string[]) => runTandem(args);

test('config check: every shipped template is valid (exit 0) and shows effective timings', () => {
  const r = tandem('config', 'check', 'templates/cluster.xml', 'templates/mirror/conf/userconfig.xml', 'templates/farm/conf/userconfig.xml', 'templates/customchecker/conf/userconfig.xml');
  assert.equal(r.status, 0, r.stdout + r.stderr);
  assert.equal((r.stdout.match(/: valid/g) ?? []).length, 4);
  assert.match(r.stdout, /timing profile\s+tandem \(default/);
  assert.match(r.stdout, /heartbeat default \(lan default\)\s+pulse 100ms, timeout 700ms/);
  assert.match(r.stdout, /failover rules\s+every 5s, act after 15s stable/);
});

test('config check: a broken file prints every problem with line:col and exits 2', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tandem-cli-'));
  try {
    const file = join(dir, 'userconfig.xml');
    writeFileSync(file, '<safe>\n <service mode="mirror" maxloop="x">\n  <heart><heartbeat name="default" pulse="1m" timeout="2s"/></heart>\n  <rfs><replicated dir="relative"/></rfs>\n </service>\n</safe>\n');
    const r = tandem('config', 'check', file);
    assert.equal(r.status, 2);
    assert.match(r.stdout, new RegExp(`${file}:2:\\d+: error: maxloop="x" on <service> is not an integer`));
    assert.match(r.stdout, new RegExp(`${file}:3:\\d+: error: heartbeat default: timeout 2000 ms is not more than twice the pulse`));
    assert.match(r.stdout, new RegExp(`${file}:4:\\d+: error: replicated dir "relative" is not an absolute path`));
    assert.match(r.stdout, /fix: write the full path/);
    const j = tandem('--json', 'config', 'check', file);
    assert.equal(j.status, 2);
    const doc = JSON.parse(j.stdout);
    assert.equal(doc.valid, false);
    assert.ok(doc.files[0].problems.every((p: { line: number; col: number }) => p.line > 0 && p.col > 0));
  } finally { rmSync(dir, { recursive: true, force: true }); }
});

test('config check: an unreadable file is an error naming the file', () => {
  const r = tandem('config', 'check', '/nonexistent/userconfig.xml');
  assert.equal(r.status, 2);
  assert.match(r.stdout, /\/nonexistent\/userconfig.xml:0:0: error: cannot read the file: ENOENT/);
});

test('commands that need the daemon say so and exit 3, in text and JSON', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tandem-cli-'));
  try {
    const r = tandem('--root', dir, 'start', '-m', 'mirror');
    assert.equal(r.status, 3);
    assert.match(r.stderr, /"start" needs the node daemon: the node daemon tandemd is not running/);
    const j = tandem('--json', '--root', dir, 'prim', '-m', 'mirror');
    assert.equal(j.status, 3);
    assert.equal(JSON.parse(j.stdout).ok, false);
  } finally { rmSync(dir, { recursive: true, force: true }); }
});

test('level and --help: version, and an example in every command help', () => {
  const r = tandem('--json', 'level');
  assert.equal(r.status, 0);
  assert.match(JSON.parse(r.stdout).version, /^\d+\.\d+\.\d+$/);
  for (const cmd of [['start'], ['prim'], ['logview'], ['cmdlog'], ['level'], ['swap'], ['config', 'check'], ['cluster', 'confinfo']]) {
    const h = tandem(...cmd, '--help');
    assert.match(h.stdout, /Example:\n {2}tandem /, `${cmd} --help has an example`);
  }
  const bad = tandem('frobnicate');
  assert.notEqual(bad.status, 0);
  assert.match(bad.stderr, /unknown command 'frobnicate'/);
});

test('log and cmdlog read the node store; -A shows verbose levels', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tandem-cli-'));
  try {
    mkdirSync(join(dir, 'var/lib/tandem'), { recursive: true });
    const s = new Store(join(dir, 'var/lib/tandem/node.db'), { now: () => Date.UTC(2026, 0, 2, 3, 4, 5) });
    s.appendLog('mirror', 'heart', 'E', 'Local state PRIM Ready');
    s.appendLog('mirror', 'heart', 'I', 'detail');
    s.appendCommand('tandem', 'mirror', 7, 'START', 'start -m mirror');
    s.close();
    const r = tandem('--root', dir, 'log', '-m', 'mirror');
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout.trim(), '| 2026-01-02 03:04:05.000000 | heart | E | Local state PRIM Ready');
    assert.equal(tandem('--root', dir, 'log', '-m', 'mirror', '-A').stdout.trim().split('\n').length, 2);
    const j = JSON.parse(tandem('--root', dir, '--json', 'cmdlog').stdout);
    assert.equal(j.entries[0].text, 'start -m mirror');
    assert.equal(tandem('--root', dir, 'log', '-m', 'mirror', '-s', 'zero').status, 2);
  } finally { rmSync(dir, { recursive: true, force: true }); }
});

test('tandem -p prints where this node keeps its files, under --root when given', () => {
  const r = tandem('--root', '/srv/lab/n1', '-p');
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /^TANDEM_ETC=\/srv\/lab\/n1\/etc\/tandem$/m);
  assert.match(r.stdout, /^TANDEM_RUN=\/srv\/lab\/n1\/run\/tandem$/m);
  assert.equal(JSON.parse(tandem('--json', '-p').stdout).store, '/var/lib/tandem/node.db');
});

test('printe writes to the normal module log, printi to the verbose one; SAFEMODULE names the module', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tandem-cli-'));
  try {
    assert.equal(tandem('--root', dir, 'printe', '-m', 'mirror', 'checkpoint', 'done').status, 0);
    const viaEnv = runTandem(['--root', dir, 'printi', 'detail'], { SAFEMODULE: 'mirror' });
    assert.equal(viaEnv.status, 0, viaEnv.stderr);
    assert.match(tandem('--root', dir, 'log', '-m', 'mirror').stdout, /\| script \| E \| checkpoint done$/m);
    assert.doesNotMatch(tandem('--root', dir, 'log', '-m', 'mirror').stdout, /detail/);
    assert.match(tandem('--root', dir, 'log', '-m', 'mirror', '-I').stdout, /\| script \| I \| detail$/m);
    assert.equal(tandem('--root', dir, 'printe', 'no module').status, 1, 'no -m and no SAFEMODULE: refused');
  } finally { rmSync(dir, { recursive: true, force: true }); }
});

test('rfssync: the SafeKit forms are understood, anything else is refused with exit 2 and the forms to use', () => {
  assert.deepEqual(parseRfssync([]), { ok: true, full: false });
  assert.deepEqual(parseRfssync(['full']), { ok: true, full: true });
  assert.deepEqual(parseRfssync(['external', 'prim', 'nightly-1']), { ok: true, full: false, seed: { role: 'prim', uid: 'nightly-1', check: true } });
  assert.deepEqual(parseRfssync(['-d', 'second', 'b.2026']), { ok: true, full: false, seed: { role: 'second', uid: 'b.2026', check: false } });
  for (const [words, why] of [
    [['bogus'], /"bogus" is not a policy/], [['full', 'now'], /unexpected "now" after full/],
    [['external', 'third', 'x'], /prim \(the source, before the backup\) or second/], [['external', 'prim'], /needs a name/],
    [['external', 'prim', 'x'.repeat(25)], /1 to 24 letters/], [['-d', 'second', 'a b'], /"a b" is not/], [['external', 'prim', 'x', 'y'], /unexpected "y"/],
  ] as const) {
    const r = parseRfssync(words);
    assert.ok(!r.ok && why.test(r.message), `${words.join(' ')}: ${JSON.stringify(r)}`);
  }
  // the command line: refused before any daemon is asked, in text and JSON
  const r = tandem('rfssync', 'external', 'third', 'x', '-m', 'mirror');
  assert.equal(r.status, 2, r.stdout + r.stderr);
  assert.match(r.stderr, /rfssync external third x: external needs the role of this node[\s\S]*tandem rfssync --help/);
  const j = tandem('rfssync', '-d', 'prim', '-m', 'mirror', '--json');
  assert.equal(j.status, 2);
  assert.match(j.stdout, /"ok":\s*false[\s\S]*needs a name/);
});
