#!/usr/bin/env node
// tandemd — the node daemon: reads the applied cluster.xml, cluster key and CA; runs cluster
// membership; supervises one process per configured module; serves the node API on the local
// socket (CLI, trusted by file permissions) and on the mutual-TLS node door (other nodes).
//
//   tandemd [--root DIR] [--node NAME] [--port N]
// SIGTERM or SIGINT: stop the module processes, close the doors, exit. A new cluster configuration
// pushed with `tandem -G` is applied by the admin routes and reloaded in place.

import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { commandAddress, parseClusterXml } from '../config/cluster.js';
import { formatProblem } from '../config/problems.js';
import type { ClusterConfig } from '../shared/config.js';
import { Store } from '../store/store.js';
import { buildApi, type NodeView } from '../api/server.js';
import type { AdminView } from '../api/admin-routes.js';
import { ModuleCatalog } from '../catalog/catalog.js';
import { MembershipService } from './membership-service.js';
import { openNodeDoor } from './node-door.js';
import { paths } from './paths.js';
import { nodeCredentials } from './pki.js';
import { runCli } from './run-cli.js';
import { Supervisor } from './supervisor.js';
import { startsAtBoot } from '../core/boot.js';
import { SyslogSink } from './syslog.js';
import { VERSION } from './version.js';

const args = process.argv.slice(2);
const opt = (name: string): string | undefined => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};

function die(message: string, hint?: string): never {
  process.stderr.write(`tandemd: ${message}${hint ? `\n  ${hint}` : ''}\n`);
  process.exit(2);
}

const root = opt('--root') ?? process.env.TANDEM_ROOT ?? '/';
const p = paths(root);
const node = opt('--node') ?? hostname().split('.')[0];
const portOverride = opt('--port') ? Number(opt('--port')) : undefined;

interface Applied { readonly cluster: ClusterConfig; readonly clusterKey: Buffer }

/** The applied cluster configuration and key, or the reason they cannot be used. */
function readApplied(): Applied | { error: string; hint?: string } {
  const clusterFile = `${p.etc}/cluster.xml`;
  const keyFile = `${p.etc}/cluster.key`;
  if (!existsSync(clusterFile)) return { error: `no cluster configuration at ${clusterFile}`, hint: 'apply one with "tandem cluster config cluster.xml"' };
  const parsed = parseClusterXml(readFileSync(clusterFile, 'utf8'), clusterFile);
  if (!parsed.config) return { error: `the cluster configuration is invalid:\n${parsed.problems.items.map(formatProblem).join('\n')}` };
  const cluster = parsed.config;
  if (!cluster.nodeNames.includes(node)) return { error: `this node "${node}" is not in ${clusterFile} (nodes: ${cluster.nodeNames.join(', ')})`, hint: 'pass --node NAME, or name the node after its host name in cluster.xml' };
  if (!existsSync(keyFile)) return { error: `no cluster key at ${keyFile}`, hint: 'create one with "tandem cluster genkey" and copy it to every node (or apply a cluster zip)' };
  const clusterKey = Buffer.from(readFileSync(keyFile, 'utf8').trim(), 'base64');
  if (clusterKey.length < 16) return { error: `the cluster key in ${keyFile} is too short (${clusterKey.length} bytes)`, hint: 'generate a new one with "tandem cluster genkey"' };
  return { cluster, clusterKey };
}

const first = readApplied();
if ('error' in first) die(first.error, first.hint);
let applied: Applied = first;

mkdirSync(p.lib, { recursive: true });
mkdirSync(p.run, { recursive: true });
const store = new Store(p.store, { now: () => Date.now() });
const incarnation = store.nextIncarnation();
store.setMeta('node', node); // the CLI checks module configurations against this node's name
// main messages also go to the system log when the machine has one (TANDEM_SYSLOG_SOCKET for tests)
const syslog = new SyslogSink(process.env.TANDEM_SYSLOG_SOCKET ?? '/dev/log');
const say = (text: string): void => {
  process.stderr.write(`${new Date().toISOString()} tandemd[${node}] ${text}\n`);
  store.appendCommand('cluster', '', process.pid, 'I', text);
  syslog.write({ module: 'cluster', component: 'tandemd', level: 'E', text });
};

const catalog = new ModuleCatalog(p, store, node);
const supervisor = new Supervisor({
  root, node,
  log: (module, level, text) => {
    store.appendLog(module, 'tandemd', level, text);
    syslog.write({ module, component: 'tandemd', level, text });
  },
});
const configured = (): string[] => catalog.list().filter((m) => m.configured).map((m) => m.name);

let membership: MembershipService | null = null;
let nodeDoor: FastifyInstance | null = null;

const view: NodeView = {
  node, version: VERSION, incarnation,
  clusterState: () => {
    const up = new Set(membership?.view() ?? []);
    return applied.cluster.nodeNames.map((name) => ({ name, state: name === node ? 'self' as const : up.has(name) ? 'up' as const : 'down' as const }));
  },
  modules: {
    list: () => supervisor.processes(),
    reconcile: () => supervisor.reconcile(configured()),
    command: (module, command, by, identity) => supervisor.request(module, { op: 'command', command, by, identity }),
    set: (module, name, value, by, history) => supervisor.request(module, { op: 'set', name, value, by, history }),
    state: (module) => supervisor.request(module, { op: 'state' }),
    // rfsverify hashes both copies: as long as the trees need, within reason
    rfs: (module, verb) => supervisor.request(module, { op: 'rfs', verb }, 30 * 60_000),
    reload: async (module) => {
      const r = await supervisor.request(module, { op: 'state' });
      if (r.status.state !== 'STOP') return { ...r, ok: false, message: `module ${module} is ${r.status.state}: stop it to reload its configuration` };
      supervisor.respawn(module);
      return { ...r, message: 'module process restarted with its configuration' };
    },
  },
};

/** Runs a CLI command with a package written to a private temporary file. */
async function withTempFile<T>(name: string, bytes: Buffer, fn: (file: string) => Promise<T>): Promise<T> {
  const dir = mkdtempSync(join(tmpdir(), 'tandemd-'));
  try {
    writeFileSync(join(dir, name), bytes, { mode: 0o600 });
    return await fn(join(dir, name));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const admin: AdminView = {
  run: (argv) => runCli(root, node, argv),
  applyCluster: (zip) => withTempFile('cluster.zip', zip, (file) => runCli(root, node, ['cluster', 'config', file])),
  reloadSoon: () => { reloading = reloading.then(() => new Promise((r) => setTimeout(r, 50))).then(reload); },
  installModule: (module, id, safe, configure, nodes) => withTempFile(`${module}.safe`, safe, async (file) => {
    const installed = catalog.list().some((m) => m.name === module);
    const r = await runCli(root, node, ['module', 'install', '-m', module, '-M', String(id), ...(installed ? ['-r'] : []), ...(nodes.length ? ['--nodes', nodes.join(',')] : []), file]);
    if (r.code !== 0 || !configure) return r;
    const c = await runCli(root, node, ['config', '-m', module]);
    return { code: c.code, stdout: r.stdout + c.stdout, stderr: r.stderr + c.stderr };
  }),
};

/** Membership and the node door for the applied configuration. */
async function openCluster(): Promise<void> {
  membership = new MembershipService({ cluster: applied.cluster, self: node, clusterKey: applied.clusterKey, incarnation, port: portOverride, log: (_level, text) => say(text) });
  await membership.start();
  const host = commandAddress(applied.cluster, node)!;
  const port = portOverride ?? applied.cluster.port;
  try {
    nodeDoor = await openNodeDoor(view, admin, nodeCredentials(p.etc, node), host, port, () => applied.cluster.nodeNames);
  } catch (e) {
    nodeDoor = null;
    say(`node door not open: ${(e as Error).message}; distributed commands (-H, -G, -E) cannot reach this node`);
  }
}

async function closeCluster(): Promise<void> {
  membership?.stop();
  membership = null;
  await nodeDoor?.close();
  nodeDoor = null;
}

let reloading: Promise<void> = Promise.resolve();

/** A new cluster configuration was applied on disk: use it without stopping the modules. */
async function reload(): Promise<void> {
  const next = readApplied();
  if ('error' in next) { say(`cluster configuration not reloaded: ${next.error}`); return; }
  await closeCluster();
  applied = next;
  await openCluster();
  say(`cluster configuration reloaded (nodes ${applied.cluster.nodeNames.join(', ')})`);
}

const api = buildApi(view, admin);

/**
 * A start of tandemd under a new kernel boot id is a boot: each module starts or not by its `boot`
 * setting (src/core/boot.ts), after its boot_delay. TANDEM_BOOT_ID stands in for the kernel's in tests.
 */
function bootModules(): void {
  const bootId = process.env.TANDEM_BOOT_ID ?? readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
  const isBoot = store.meta('boot_id') !== bootId;
  store.setMeta('boot_id', bootId);
  if (!isBoot) return;
  say(`boot detected (boot id ${bootId})`);
  const states = new Map(store.moduleStates().map((m) => [m.module, m.state]));
  for (const name of configured()) {
    const config = catalog.appliedConfig(name);
    if (!config) continue;
    const ran = store.meta(`running:${name}`);
    store.setMeta(`running:${name}`, ''); // used once: a later crash leaves the recorded state to speak
    const decision = startsAtBoot({
      setting: config.boot, userSetting: store.resource(name, 'usersetting.boot')?.value ?? null,
      wasRunning: ran ? ran === 'yes' : (states.get(name) ?? 'STOP') !== 'STOP',
    });
    store.appendLog(name, 'tandemd', 'E', `Boot: module ${decision.start ? `starts after ${config.bootDelayMs} ms` : 'stays stopped'} (${decision.why})`);
    if (decision.start) setTimeout(() => void startAtBoot(name), config.bootDelayMs);
  }
}

async function startAtBoot(module: string): Promise<void> {
  for (let attempt = 0; attempt < 50; attempt++) {
    try {
      const r = await supervisor.request(module, { op: 'command', command: { kind: 'start' }, by: 'boot' });
      if (!r.ok) store.appendLog(module, 'tandemd', 'E', `Boot: start refused: ${r.message}`);
      return;
    } catch {
      await new Promise((r) => setTimeout(r, 200)); // its process is still starting
    }
  }
  store.appendLog(module, 'tandemd', 'C', 'Boot: the module process did not answer within 10 s; the module was not started');
}

async function main(): Promise<void> {
  await openCluster();
  bootModules(); // before the module processes reset the recorded states
  supervisor.reconcile(configured());
  if (existsSync(p.socket)) rmSync(p.socket); // a stale socket from a crashed daemon
  mkdirSync(dirname(p.socket), { recursive: true });
  await api.listen({ path: p.socket });
  chmodSync(p.socket, 0o660); // root and the tandem group: the local door trusts file permissions
  const door = nodeDoor ? `; node door on ${commandAddress(applied.cluster, node)}:${portOverride ?? applied.cluster.port} (mutual TLS)` : '';
  say(`tandemd started (incarnation ${incarnation}, version ${VERSION}); local API on ${p.socket}${door}`);
}

/**
 * SIGTERM is the OS-shutdown path: every module gets `shutdown` (SafeKit's "Action shutdown called
 * by SYSTEM/root"), then its process stops. Whether it was running is kept for boot="auto".
 */
async function shutdown(signal: string): Promise<void> {
  say(`tandemd stopping (${signal}): shutdown of every module`);
  await Promise.all(supervisor.processes().map(async (m) => {
    try {
      const before = await supervisor.request(m.module, { op: 'state' }, 5_000);
      store.setMeta(`running:${m.module}`, before.status.state === 'STOP' ? 'no' : 'yes');
      const r = await supervisor.request(m.module, { op: 'command', command: { kind: 'shutdown' }, by: 'SYSTEM/root' }, 30_000);
      say(`module ${m.module}: ${r.message}`);
    } catch (e) {
      say(`module ${m.module}: ${(e as Error).message}`);
    }
  }));
  await closeCluster();
  await supervisor.stopAll();
  await api.close();
  store.close();
  process.exit(0);
}

process.on('SIGTERM', () => void shutdown('SIGTERM'));
process.on('SIGINT', () => void shutdown('SIGINT'));
main().catch((e: Error) => die(e.message));
