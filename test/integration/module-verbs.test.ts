// One tandemd with a configured mirror and farm module: each module runs in its own process, a
// kill -9 of it is restarted, one that keeps dying is given up with a critical line; the verbs
// scripts rely on work through the daemon with --json and refuse bad input without changing
// anything; the switches persist across a restart of the module process.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeZip } from '../../src/catalog/zip.js';
import { runTandem, until } from '../helpers.js';

const CLUSTER = `<cluster><lans><lan name="default"><node name="n1" addr="127.0.0.41"/><node name="n2" addr="127.0.0.42"/></lan></lans></cluster>`;
const MIRROR = `<safe><service mode="mirror" maxloop="2"><heart pulse="100ms" timeout="1s"><heartbeat name="default"/></heart><user/></service></safe>`;
const FARM = `<safe><service mode="farm"><farm><lan name="default"/></farm><user/>
  <errd><proc name="myapp" atleast="1" action="restart" class="both"/></errd></service></safe>`;

type Run = (...args: string[]) => ReturnType<typeof runTandem>;
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- JSON documents of many shapes
type RunJson = (...args: string[]) => { status: number | null; doc: any };

async function withNode(fn: (t: Run, j: RunJson, root: string, daemon: ChildProcess) => Promise<void>): Promise<void> {
  const root = mkdtempSync(join(tmpdir(), 'verbs-'));
  const t = (...args: string[]) => runTandem(['--root', root, ...args], { TANDEM_NODE: 'n1' });
  const j = (...args: string[]) => { const r = t('--json', ...args); return { status: r.status, doc: r.stdout ? JSON.parse(r.stdout) : null }; };
  let daemon: ChildProcess | null = null;
  try {
    writeFileSync(join(root, 'cluster.xml'), CLUSTER);
    assert.equal(t('cluster', 'config', join(root, 'cluster.xml')).status, 0);
    for (const [name, xml] of [['app', MIRROR], ['web', FARM]]) {
      const pkg = join(root, `${name}.safe`);
      assert.equal(t('module', 'install', '-m', name, join(root, 'none.safe')).status, 2, 'a missing package is refused');
      writeFileSync(pkg, writeZip([{ name: 'conf/userconfig.xml', data: Buffer.from(xml), mode: 0o644 }]));
      assert.equal(t('module', 'install', '-m', name, pkg).status, 0);
      assert.equal(t('config', '-m', name).status, 0, t('config', '-m', name).stderr);
    }
    daemon = spawn(process.execPath, ['dist/src/daemon/tandemd.js', '--root', root, '--node', 'n1', '--port', String(43000 + Math.floor(Math.random() * 5000))], { stdio: ['ignore', 'ignore', 'ignore'] });
    await until('both module processes answer', () => t('state', '-m', 'app').status === 0 && t('state', '-m', 'web').status === 0);
    await fn(t, j, root, daemon);
  } finally {
    if (daemon && daemon.exitCode === null && daemon.signalCode === null) {
      daemon.kill('SIGTERM');
      await new Promise((r) => daemon!.once('exit', r));
    }
    rmSync(root, { recursive: true, force: true });
  }
}

test('state, set/get, switches, loop verbs, boot, errd list, logsave — each with --json and its bad input', () => withNode(async (t, j, root) => {
  const all = j('state');
  assert.deepEqual(all.doc.map((s: { module: string; state: string }) => `${s.module}:${s.state}`), ['app:STOP', 'web:STOP']);
  const lq = t('state', '-m', 'app', '-lq');
  assert.equal(lq.status, 0, 'STOP is exit 0');
  assert.equal(lq.stdout.trim(), 'STOP');
  assert.match(t('state', '-m', 'app', '-v').stdout, /^usersetting\.failover on \S+$/m);

  assert.equal(j('set', '-m', 'app', '-r', 'custom.db', '-v', 'down', '-i', 'dbcheck').doc.ok, true);
  assert.equal(j('get', '-m', 'app', '-r', 'custom.db').doc.value, 'down');
  assert.match(t('log', '-m', 'app').stdout, /Resource custom\.db set to down by dbcheck/);
  assert.equal(t('set', '-m', 'app', '-r', 'bad name!', '-v', 'x').status, 1, 'an invalid resource name is refused by the API schema');
  assert.equal(t('get', '-m', 'app', '-r', 'no.such').status, 1);
  assert.equal(t('get', '-m', 'nosuch', '-r', 'state.local').status, 1);

  assert.equal(j('failover', 'off', '-m', 'app').doc.ok, true);
  assert.equal(t('get', '-m', 'app', '-r', 'usersetting.failover').stdout.trim(), 'off');
  assert.equal(t('failover', 'maybe', '-m', 'app').status, 2);
  assert.equal(t('failover', 'off', '-m', 'web').status, 1, 'failover is a mirror switch');
  assert.equal(j('checker', 'off', '-m', 'web').doc.ok, true);
  assert.equal(j('errd', 'off', '-m', 'app').doc.ok, true);
  assert.equal(j('errd', 'disable', 'batch', '-m', 'app').doc.ok, true);
  assert.equal(t('get', '-m', 'app', '-r', 'usersetting.errdclass.batch').stdout.trim(), 'off');
  assert.deepEqual(j('errd', 'list', '-m', 'web').doc.map((p: { name: string }) => p.name), ['myapp']);
  assert.deepEqual(j('errd', 'list', '-m', 'app').doc, []);

  assert.equal(j('checkloop', '-m', 'app').status, 0);
  assert.equal(j('incloop', '-m', 'app', '-i', 'handler').status, 0);
  assert.equal(j('incloop', '-m', 'app', '-i', 'handler').status, 0);
  assert.equal(t('checkloop', '-m', 'app').status, 1, 'maxloop 2 reached');
  assert.equal(t('incloop', '-m', 'app', '-i', 'handler').status, 1);
  assert.equal(j('resetloop', '-m', 'app').status, 0);
  assert.equal(t('checkloop', '-m', 'app').status, 0);

  assert.equal(j('boot', 'on', '-m', 'app').doc.ok, true);
  assert.deepEqual(j('boot', 'status').doc, [{ module: 'app', boot: 'on' }, { module: 'web', boot: 'off' }]);
  assert.equal(t('boot', 'sometimes', '-m', 'app').status, 2);

  const farmStart = j('start', '-m', 'web');
  assert.equal(farmStart.status, 1, 'a farm cannot run yet, and says why');
  assert.match(farmStart.doc.message, /farm modules cannot start yet/);
  assert.equal(j('stop', '-m', 'web').doc.message, 'already stopped');
  assert.equal(t('waitstate', '-m', 'app', 'PRIM', '--timeout', '0.5').status, 1);
  assert.equal(t('waitstate', '-m', 'app', 'SLEEPING').status, 2);
  // a mirror without <rfs> runs: alone, its peer is not there (failover back on: off holds it in WAIT)
  assert.equal(j('failover', 'on', '-m', 'app').status, 0);
  assert.equal(j('start', '-m', 'app').status, 0);
  assert.equal(j('waitstate', '-m', 'app', 'ALONE', '--timeout', '20').doc.state, 'ALONE');
  assert.equal(t('state', '-m', 'app', '-lq').status, 2, 'ALONE is exit 2');
  assert.equal(j('waitstart', '-m', 'app').status, 0);
  assert.equal(t('start', '-m', 'app').status, 1, 'already started');
  assert.equal(j('stop', '-m', 'app').status, 0);
  assert.equal(j('waitstop', '-m', 'app', '--timeout', '20').doc.state, 'STOP');
  assert.equal(j('shutdown').status, 0);

  const saved = join(root, 'saved.log');
  assert.equal(j('logsave', '-m', 'app', saved).doc.ok, true);
  assert.equal(t('logsave', '-m', 'app', 'relative.log').status, 2);
  assert.match(t('cmdlog').stdout, /START \| failover -m app off -u /);
}));

test('kill -9 of a module process restarts it with its switches; one that keeps dying is given up', () => withNode(async (t, j) => {
  assert.equal(t('failover', 'off', '-m', 'app').status, 0);
  assert.equal(t('checker', 'off', '-m', 'web').status, 0);
  assert.equal(t('set', '-m', 'app', '-r', 'custom.x', '-v', 'up').status, 0);
  const procs = () => j('module', 'processes').doc as { module: string; pid: number | null; starts: number; gaveUp: boolean }[];
  const first = procs().find((m) => m.module === 'app')!;
  process.kill(first.pid!, 'SIGKILL');
  // each poll starts the CLI (~0.2 s on a busy CI machine): deadlines of 20 s, not the default 8
  // one more start than before the kill (the set-up may already have restarted it once, on config)
  await until('the module process is restarted', () => { const m = procs().find((x) => x.module === 'app')!; return m.starts === first.starts + 1 && m.pid !== null && t('state', '-m', 'app').status === 0; }, 20_000, 100)
    .catch((e: Error) => { throw new Error(`${e.message}: before the kill ${JSON.stringify(first)}, now ${JSON.stringify(procs())}, state: ${t('state', '-m', 'app').stderr}`); });
  assert.equal(t('get', '-m', 'app', '-r', 'usersetting.failover').stdout.trim(), 'off', 'switches persist across the restart');
  assert.equal(t('get', '-m', 'app', '-r', 'custom.x').stdout.trim(), 'up', 'resources persist across the restart');
  await until('the restart is in the module log', () => /Module process killed by SIGKILL; restarting it/.test(t('log', '-m', 'app').stdout), 20_000, 100);
  process.kill(procs().find((m) => m.module === 'web')!.pid!, 'SIGKILL');
  await until('the farm restarts', () => t('state', '-m', 'web').status === 0, 20_000, 100);
  assert.equal(t('get', '-m', 'web', '-r', 'usersetting.checker').stdout.trim(), 'off');

  for (let i = 0; i < 5; i++) {
    await until('a process to kill', () => procs().find((m) => m.module === 'app')?.pid != null || procs().find((m) => m.module === 'app')!.gaveUp, 20_000, 100);
    const m = procs().find((x) => x.module === 'app')!;
    if (m.gaveUp) break;
    process.kill(m.pid!, 'SIGKILL');
    await until('the death is seen', () => procs().find((x) => x.module === 'app')!.pid !== m.pid, 20_000, 100);
  }
  await until('the supervisor gives up', () => procs().find((m) => m.module === 'app')!.gaveUp, 20_000, 100);
  assert.match(t('log', '-m', 'app').stdout, /\| C \| Module process killed by SIGKILL; it died 5 times within 60 s and is not restarted/);
  const r = t('state', '-m', 'app');
  assert.equal(r.status, 1);
  assert.match(r.stderr, /kept dying and was not restarted/);
  assert.equal(t('config', '-m', 'app').status, 0);
  await until('config gives it a new chance', () => t('state', '-m', 'app').status === 0, 20_000, 100);
}));


test('SIGTERM to tandemd is the OS shutdown path: every module gets shutdown, its process stops', () => withNode(async (t, _j, _root, daemon) => {
  const pids = (JSON.parse(t('--json', 'module', 'processes').stdout) as { pid: number }[]).map((m) => m.pid);
  daemon.kill('SIGTERM');
  await new Promise((r) => daemon.once('exit', r));
  for (const m of ['app', 'web']) assert.match(t('log', '-m', m).stdout, /\| U \| Action shutdown called by SYSTEM\/root/, m);
  for (const pid of pids) assert.throws(() => process.kill(pid, 0), /ESRCH/, 'the module process is gone');
  assert.match(t('cmdlog').stdout, /tandemd stopping \(SIGTERM\): shutdown of every module/);
}));

test('a new boot id is a boot: boot="on" asks the module to start after boot_delay; a daemon restart is not a boot', async () => {
  const root = mkdtempSync(join(tmpdir(), 'boot-'));
  const t = (...args: string[]) => runTandem(['--root', root, ...args], { TANDEM_NODE: 'n1' });
  const daemon = async (bootId: string, whileUp: () => Promise<void>) => {
    const d = spawn(process.execPath, ['dist/src/daemon/tandemd.js', '--root', root, '--node', 'n1', '--port', String(43000 + Math.floor(Math.random() * 5000))], { stdio: 'ignore', env: { ...process.env, TANDEM_BOOT_ID: bootId } });
    try {
      await until('the module process answers', () => t('state', '-m', 'app').status === 0);
      await whileUp();
    } finally {
      d.kill('SIGTERM');
      await new Promise((r) => d.once('exit', r));
    }
  };
  try {
    writeFileSync(join(root, 'cluster.xml'), CLUSTER);
    assert.equal(t('cluster', 'config', join(root, 'cluster.xml')).status, 0);
    const pkg = join(root, 'app.safe');
    writeFileSync(pkg, writeZip([{ name: 'conf/userconfig.xml', data: Buffer.from(MIRROR.replace('maxloop="2"', 'boot="on" boot_delay="1s"')), mode: 0o644 }]));
    assert.equal(t('module', 'install', '-m', 'app', pkg).status, 0);
    assert.equal(t('config', '-m', 'app').status, 0);
    const bootLines = () => t('log', '-m', 'app').stdout.split('\n').filter((l) => l.includes('Boot:'));
    await daemon('boot-A', async () => {
      assert.equal(t('waitstate', '-m', 'app', 'ALONE', '--timeout', '20').status, 0, 'started after boot_delay');
    });
    assert.deepEqual(bootLines().map((l) => l.replace(/^.*Boot: /, '')), ['module starts after 1000 ms (boot="on")']);
    // the start came boot_delay after the boot decision (module-log times, in microseconds)
    const at = (re: RegExp) => Date.parse(/^\| (\S+ \S+) \|/.exec(t('log', '-m', 'app').stdout.split('\n').find((l) => re.test(l))!)![1].replace(' ', 'T'));
    assert.ok(at(/Action start called by boot/) - at(/Boot: module starts/) >= 1000, 'boot_delay respected');
    await daemon('boot-A', async () => {
      await new Promise((r) => setTimeout(r, 1500));
      assert.equal(t('state', '-m', 'app', '-lq').status, 0, 'same boot id: nothing started');
    });
    assert.equal(bootLines().length, 1, 'same boot id: a daemon restart, not a boot');
    assert.match(t('cmdlog').stdout, /boot detected \(boot id boot-A\)/);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
