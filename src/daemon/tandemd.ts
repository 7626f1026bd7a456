#!/usr/bin/env node
// tandemd — the node daemon: reads the applied cluster.xml and cluster key, runs cluster
// membership, supervises one process per configured module, and serves the node API on the local
// socket for the CLI.
//
//   tandemd [--root DIR] [--node NAME] [--port N]
// SIGTERM or SIGINT: stop cleanly (sockets closed, socket file removed).

import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { hostname } from 'node:os';
import { dirname } from 'node:path';
import { parseClusterXml } from '../config/cluster.js';
import { formatProblem } from '../config/problems.js';
import { Store } from '../store/store.js';
import { buildApi } from '../api/server.js';
import { ModuleCatalog } from '../catalog/catalog.js';
import { MembershipService } from './membership-service.js';
import { Supervisor } from './supervisor.js';
import { paths } from './paths.js';
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

const p = paths(opt('--root'));
const clusterFile = `${p.etc}/cluster.xml`;
const keyFile = `${p.etc}/cluster.key`;
if (!existsSync(clusterFile)) die(`no cluster configuration at ${clusterFile}`, 'apply one with "tandem cluster config cluster.xml"');
const parsed = parseClusterXml(readFileSync(clusterFile, 'utf8'), clusterFile);
if (!parsed.config) die(`the cluster configuration is invalid:\n${parsed.problems.items.map(formatProblem).join('\n')}`);
const cluster = parsed.config;
const node = opt('--node') ?? hostname().split('.')[0];
if (!cluster.nodeNames.includes(node)) die(`this node "${node}" is not in ${clusterFile} (nodes: ${cluster.nodeNames.join(', ')})`, 'pass --node NAME, or name the node after its host name in cluster.xml');
if (!existsSync(keyFile)) die(`no cluster key at ${keyFile}`, 'create one with "tandem cluster genkey" and copy it to every node (or apply a cluster zip)');
const clusterKey = Buffer.from(readFileSync(keyFile, 'utf8').trim(), 'base64');
if (clusterKey.length < 16) die(`the cluster key in ${keyFile} is too short (${clusterKey.length} bytes)`, 'generate a new one with "tandem cluster genkey"');

mkdirSync(p.lib, { recursive: true });
mkdirSync(p.run, { recursive: true });
const store = new Store(p.store, { now: () => Date.now() });
const incarnation = store.nextIncarnation();
store.setMeta('node', node); // the CLI checks module configurations against this node's name
const version = VERSION;
// main messages also go to the system log when the machine has one (TANDEM_SYSLOG_SOCKET for tests)
const syslog = new SyslogSink(process.env.TANDEM_SYSLOG_SOCKET ?? '/dev/log');
const say = (text: string): void => {
  process.stderr.write(`${new Date().toISOString()} tandemd[${node}] ${text}\n`);
  store.appendCommand('cluster', '', process.pid, 'I', text);
  syslog.write({ module: 'cluster', component: 'tandemd', level: 'E', text });
};

const membership = new MembershipService({
  cluster, self: node, clusterKey, incarnation, port: opt('--port') ? Number(opt('--port')) : undefined,
  log: (_level, text) => say(text),
});

const catalog = new ModuleCatalog(p, store, node);
const supervisor = new Supervisor({
  root: opt('--root') ?? process.env.TANDEM_ROOT ?? '/', node, incarnation,
  log: (module, level, text) => {
    store.appendLog(module, 'tandemd', level, text);
    syslog.write({ module, component: 'tandemd', level, text });
  },
});
const configured = (): string[] => catalog.list().filter((m) => m.configured).map((m) => m.name);

const api = buildApi({
  node, version, incarnation,
  modules: {
    list: () => supervisor.processes(),
    reconcile: () => supervisor.reconcile(configured()),
    command: (module, command, by, identity) => supervisor.request(module, { op: 'command', command, by, identity }),
    set: (module, name, value, by, history) => supervisor.request(module, { op: 'set', name, value, by, history }),
    state: (module) => supervisor.request(module, { op: 'state' }),
  },
  clusterState: () => {
    const up = new Set(membership.view());
    return cluster.nodeNames.map((name) => ({ name, state: name === node ? 'self' as const : up.has(name) ? 'up' as const : 'down' as const }));
  },
});

async function main(): Promise<void> {
  await membership.start();
  supervisor.reconcile(configured());
  if (existsSync(p.socket)) rmSync(p.socket); // a stale socket from a crashed daemon
  mkdirSync(dirname(p.socket), { recursive: true });
  await api.listen({ path: p.socket });
  chmodSync(p.socket, 0o660); // root and the tandem group: the local door trusts file permissions
  say(`tandemd started (incarnation ${incarnation}, version ${version}); local API on ${p.socket}`);
}

async function shutdown(signal: string): Promise<void> {
  say(`tandemd stopping (${signal})`);
  membership.stop();
  await supervisor.stopAll();
  await api.close();
  store.close();
  process.exit(0);
}

process.on('SIGTERM', () => void shutdown('SIGTERM'));
process.on('SIGINT', () => void shutdown('SIGINT'));
main().catch((e: Error) => die(e.message));
