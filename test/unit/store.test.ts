// The per-node store: migrations, durable data generations, resources with history and retention,
// module and command logs, and survival of a SIGKILL in the middle of a burst of writes.
import { test } from 'node:test';
import { MIGRATIONS } from '../../src/store/schema.js';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { Store, NORMAL_LEVELS } from '../../src/store/store.js';
import { formatLogEntry, userlogName } from '../../src/store/format.js';
import { openUserlog, truncateLargeUserlogs } from '../../src/store/userlog.js';

function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'tandem-store-'));
}

const fixedClock = (ms: number) => ({ now: () => ms });

test('migrations run once and the schema version is recorded', () => {
  const dir = tempDir();
  try {
    const s1 = new Store(join(dir, 'node.db'), fixedClock(0));
    assert.equal(s1.schemaVersion, MIGRATIONS.length);
    assert.equal(s1.nextIncarnation(), 1);
    s1.setModuleState('mirror', 'PRIM', 'Ready');
    s1.close();
    const s2 = new Store(join(dir, 'node.db'), fixedClock(0));
    assert.equal(s2.schemaVersion, MIGRATIONS.length);
    assert.equal(s2.nextIncarnation(), 2, 'the incarnation survives a restart and grows');
    assert.deepEqual(s2.moduleStates().map((m) => `${m.module} ${m.state} ${m.qualifier}`), ['mirror PRIM Ready']);
    s2.close();
  } finally { rmSync(dir, { recursive: true, force: true }); }
});

test('a store written by a newer tandem is refused with a clear message', () => {
  const dir = tempDir();
  try {
    const s = new Store(join(dir, 'node.db'), fixedClock(0));
    (s as unknown as { db: { pragma(x: string): void } }).db.pragma('user_version = 99');
    s.close();
    assert.throws(() => new Store(join(dir, 'node.db'), fixedClock(0)), /written by a newer tandem \(schema 99/);
  } finally { rmSync(dir, { recursive: true, force: true }); }
});

test('mirror data generations round-trip through the store', () => {
  const dir = tempDir();
  try {
    const s = new Store(join(dir, 'node.db'), fixedClock(5));
    const data = { generation: { current: 'n1:1:3', history: ['n1:1:2'] }, uptodate: true };
    s.saveMirrorData('mirror', data);
    s.close();
    const again = new Store(join(dir, 'node.db'), fixedClock(5));
    assert.deepEqual(again.loadMirrorData('mirror'), data);
    assert.equal(again.loadMirrorData('other'), null);
    again.close();
  } finally { rmSync(dir, { recursive: true, force: true }); }
});

test('resources keep their current value and a history bounded by the retention limit', () => {
  const dir = tempDir();
  let now = 1000;
  try {
    const s = new Store(join(dir, 'node.db'), { now: () => now }, { resourceHistory: 5, moduleLog: 10, commandLog: 10 });
    for (let i = 0; i < 12; i++) { now += 10; s.setResource('m', 'tcp.web', i % 2 ? 'up' : 'down', 'tcpcheck'); }
    s.setResource('m', 'tcp.web', 'up', 'root', false); // set -n: no history record
    s.prune();
    assert.deepEqual(s.resource('m', 'tcp.web'), { name: 'tcp.web', value: 'up', updatedAt: 1120, by: 'root' });
    const history = s.resourceHistory('m', 'tcp.web');
    assert.equal(history.length, 5);
    assert.deepEqual(history.map((h) => h.at), [1080, 1090, 1100, 1110, 1120]);
    s.close();
  } finally { rmSync(dir, { recursive: true, force: true }); }
});

test('module log: levels filter, order, retention, SafeKit line format', () => {
  const dir = tempDir();
  try {
    const s = new Store(join(dir, 'node.db'), fixedClock(Date.UTC(2026, 10, 25, 8, 40, 20, 909)), { resourceHistory: 10, moduleLog: 3, commandLog: 10 });
    s.appendLog('m', 'heart', 'U', 'Action start called by root');
    s.appendLog('m', 'heart', 'I', 'verbose detail');
    s.appendLog('m', 'heart', 'E', 'Local state WAIT Transient');
    s.appendLog('other', 'heart', 'E', 'not mine');
    const normal = s.readLog('m', NORMAL_LEVELS);
    assert.deepEqual(normal.map((e) => e.text), ['Action start called by root', 'Local state WAIT Transient']);
    assert.equal(formatLogEntry(normal[0]), '| 2026-11-25 08:40:20.909000 | heart | U | Action start called by root');
    assert.equal(s.readLog('m', ['U', 'E', 'C', 'S', 'I', 'D']).length, 3);
    s.appendLog('m', 'heart', 'E', 'fourth');
    s.prune();
    assert.deepEqual(s.readLog('m', ['U', 'E', 'C', 'S', 'I', 'D']).map((e) => e.text), ['verbose detail', 'Local state WAIT Transient', 'fourth']);
    s.appendCommand('safekit', 'm', 42, 'START', 'prim -m m');
    s.appendCommand('safekit', 'm', 42, 'END', '0');
    assert.deepEqual(s.readCommands().map((c) => `${c.phase} ${c.text}`), ['START prim -m m', 'END 0']);
    s.close();
  } finally { rmSync(dir, { recursive: true, force: true }); }
});

test('userlogs: one file per run named after the script and time; large ones truncated at start', () => {
  const dir = tempDir();
  try {
    const at = Date.UTC(2023, 11, 12, 8, 32, 3);
    assert.equal(userlogName('stop_prim', at), 'userlog_2023-12-12T083203_stop_prim.ulog');
    const a = openUserlog(dir, 'start_prim', at);
    const b = openUserlog(dir, 'start_prim', at);
    assert.notEqual(a.path, b.path);
    writeFileSync(a.path, 'x'.repeat(3000));
    assert.deepEqual(truncateLargeUserlogs(dir, 2), [a.path]);
    assert.equal(readdirSync(dir).length, 2);
  } finally { rmSync(dir, { recursive: true, force: true }); }
});

test('a writer killed with SIGKILL mid-burst leaves every committed batch and no partial one', async () => {
  const dir = tempDir();
  const db = join(dir, 'node.db');
  try {
    const child = spawn(process.execPath, ['dist/test/unit/fixtures/store-writer.js', db], { stdio: ['ignore', 'pipe', 'inherit'] });
    let lastReported = 0;
    let buffer = '';
    child.stdout.on('data', (chunk: Buffer) => {
      buffer += chunk.toString();
      const lines = buffer.split('\n');
      buffer = lines.pop() ?? '';
      for (const l of lines) if (l) lastReported = Number(l);
    });
    await new Promise<void>((resolve) => {
      const check = setInterval(() => { if (lastReported >= 30) { clearInterval(check); resolve(); } }, 5);
    });
    child.kill('SIGKILL');
    await new Promise((resolve) => child.on('exit', resolve));
    const s = new Store(db, fixedClock(0));
    assert.equal(s.integrityCheck(), 'ok');
    const batches = Number(s.resource('m', 'test.batches')?.value);
    assert.ok(batches >= lastReported, `committed batches ${batches} < reported ${lastReported}`);
    const rows = s.readLog('m', ['E'], 1_000_000);
    assert.equal(rows.length, batches * 20, 'only whole batches are in the log');
    const perBatch = new Map<number, number>();
    for (const r of rows) { const k = Number(/batch (\d+)/.exec(r.text)![1]); perBatch.set(k, (perBatch.get(k) ?? 0) + 1); }
    assert.ok([...perBatch.values()].every((n) => n === 20));
    assert.deepEqual([...perBatch.keys()].sort((a, b) => a - b), Array.from({ length: batches }, (_, i) => i + 1));
    s.close();
  } finally { rmSync(dir, { recursive: true, force: true }); }
});
