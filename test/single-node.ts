// One tandemd on loopback for integration tests: a 2-node cluster.xml whose second node never runs,
// modules installed from files and configured, the daemon started. A mirror module started here
// goes ALONE once its peer's heartbeat timeout passes. Always call stop() (in finally).
import { spawn, type ChildProcess, type SpawnSyncReturns } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import assert from 'node:assert/strict';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeZip } from '../src/catalog/zip.js';
import { runTandem, until } from './helpers.js';

export interface ModuleFiles { readonly [path: string]: string }

export interface SingleNode {
  readonly root: string;
  tandem(...args: string[]): SpawnSyncReturns<string>;
  /** A resource's value (`tandem get`). */
  get(module: string, resource: string): string;
  log(module: string): string;
  waitState(module: string, state: string, ms?: number): Promise<void>;
  stop(): Promise<void>;
}

/** `addr` is a loopback address of its own (127.0.0.x) so that parallel tests never share ports. */
export async function singleNode(name: string, addr: string, modules: Readonly<Record<string, ModuleFiles>>): Promise<SingleNode> {
  const root = mkdtempSync(join(tmpdir(), `${name}-`));
  const tandem = (...args: string[]) => runTandem(['--root', root, ...args], { TANDEM_NODE: 'n1' });
  const peer = addr.replace(/\d+$/, (d) => String(Number(d) + 1));
  writeFileSync(join(root, 'cluster.xml'), `<cluster><lans><lan name="default"><node name="n1" addr="${addr}"/><node name="n2" addr="${peer}"/></lan></lans></cluster>`);
  let daemon: ChildProcess | null = null;
  let daemonErr = '';
  const node: SingleNode = {
    root, tandem,
    get: (m, r) => tandem('get', '-m', m, '-r', r).stdout.trim(),
    log: (m) => tandem('log', '-m', m, '-A').stdout,
    waitState: (m, state, ms = 30_000) => until(`${m} ${state}`, () => tandem('waitstate', '-m', m, state, '--timeout', '1').status === 0, ms, 200)
      .catch((e: Error) => { throw new Error(`${e.message}\n${node.log(m).split('\n').slice(-30).join('\n')}`); }),
    async stop() {
      if (daemon && daemon.exitCode === null && daemon.signalCode === null) {
        const d = daemon;
        const exited = new Promise((r) => d.once('exit', r));
        d.kill('SIGTERM');
        await exited;
      }
      rmSync(root, { recursive: true, force: true });
    },
  };
  try {
    assert.equal(tandem('cluster', 'config', join(root, 'cluster.xml')).status, 0);
    for (const [module, files] of Object.entries(modules)) {
      const zip = join(root, `${module}.safe`);
      writeFileSync(zip, writeZip(Object.entries(files).map(([path, text]) => ({ name: path, data: Buffer.from(text), mode: path.startsWith('bin/') ? 0o755 : 0o644 }))));
      const installed = tandem('module', 'install', '-m', module, zip);
      assert.equal(installed.status, 0, installed.stderr);
      const configured = tandem('config', '-m', module);
      assert.equal(configured.status, 0, configured.stdout + configured.stderr);
    }
    daemon = spawn(process.execPath, ['dist/src/daemon/tandemd.js', '--root', root, '--node', 'n1', '--port', String(40000 + Math.floor(Math.random() * 9000))], { stdio: ['ignore', 'ignore', 'pipe'] });
    daemon.stderr!.on('data', (c: Buffer) => { daemonErr += c.toString(); });
    for (const module of Object.keys(modules)) {
      await until(`the ${module} module process answers`, () => tandem('state', '-m', module).status === 0, 15_000).catch((e: Error) => { throw new Error(`${e.message}\n${daemonErr}`); });
    }
  } catch (e) {
    await node.stop();
    throw e;
  }
  return node;
}
