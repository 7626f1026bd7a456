#!/usr/bin/env node
// The module process: tandemd forks one per configured module (DESIGN §2), so a stuck or crashed
// module never stalls the daemon or another module. It talks to tandemd over the fork IPC channel:
// requests { id, request } in, { id, reply } or { id, error } out. It exits when tandemd goes away.
//
//   main.js --root DIR --node NAME --module AM

import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { parseUserConfig } from '../config/userconfig.js';
import { formatProblem } from '../config/problems.js';
import { paths } from '../daemon/paths.js';
import { SyslogSink } from '../daemon/syslog.js';
import { Store } from '../store/store.js';
import { ModuleRuntime, type RuntimeRequest } from './runtime.js';
import { ModuleCatalog, scriptEnv } from '../catalog/catalog.js';

const args = process.argv.slice(2);
const opt = (name: string): string => {
  const i = args.indexOf(name);
  if (i < 0 || args[i + 1] === undefined) fatal(`missing ${name}`);
  return args[i + 1];
};

function fatal(message: string): never {
  process.stderr.write(`tandem module: ${message}\n`);
  process.exit(2);
}

const p = paths(opt('--root'));
const name = opt('--module');
const node = opt('--node');
const store = new Store(p.store, { now: () => Date.now() });
const catalog = new ModuleCatalog(p, store, node);
const id = store.modules().find((m) => m.name === name)?.id ?? fatal(`module ${name} is not installed`);
const cluster = catalog.cluster() ?? fatal(`${join(p.etc, 'cluster.xml')} is missing or invalid`);
const applied = catalog.appliedDir(name);
const configFile = join(applied, 'conf', 'userconfig.xml');
const parsed = parseUserConfig(readFileSync(configFile, 'utf8'), configFile, { name, id, cluster, installedOn: catalog.nodesOf(name) ?? undefined, env: process.env as Record<string, string> });
if (!parsed.config) fatal(`the applied configuration is invalid:\n${parsed.problems.items.map(formatProblem).join('\n')}`);

const syslog = new SyslogSink(process.env.TANDEM_SYSLOG_SOCKET ?? '/dev/log');
const keyFile = join(applied, 'conf', 'module.key');
const config = parsed.config;
// scripts and custom checkers call `tandem set|printi|…`: a wrapper on their PATH reaches this node
const wrapperDir = join(p.lib, 'bin');
mkdirSync(wrapperDir, { recursive: true });
writeFileSync(join(wrapperDir, 'tandem'), `#!/bin/sh\nexec ${process.execPath} ${fileURLToPath(new URL('../cli/main.js', import.meta.url))} --root ${opt('--root')} "$@"\n`, { mode: 0o755 });
const runtime = new ModuleRuntime(config, {
  root: opt('--root'), node, cluster, incarnation: store.nextIncarnation(`incarnation:${name}`), store, now: () => Date.now(),
  binDir: join(applied, 'bin'),
  scriptEnv: { ...scriptEnv(name, applied, p), TANDEM_NODE: node, PATH: `${wrapperDir}:${process.env.PATH ?? '/usr/bin:/bin'}`, ...Object.fromEntries((config.user?.vars ?? []).map((v) => [v.name, v.value])) },
  userlogDir: join(p.log, 'modules', name),
  configSignature: catalog.confinfo(name).active?.signature ?? '',
  moduleKey: existsSync(keyFile) ? Buffer.from(readFileSync(keyFile, 'utf8').trim(), 'base64') : null,
  onLog: (level, component, text) => syslog.write({ module: name, component, level, text }),
});
store.appendLog(name, 'runtime', 'I', `module process started (pid ${process.pid})`);

process.on('message', (msg: { id: number; request: RuntimeRequest }) => {
  runtime.handle(msg.request).then(
    (reply) => process.send?.({ id: msg.id, reply }),
    (e: Error) => process.send?.({ id: msg.id, error: e.message }),
  );
});
process.on('disconnect', () => {
  runtime.stop();
  // the replicator unmounts the replicated directories before it ends
  void runtime.stopReplication().finally(() => { store.close(); process.exit(0); });
});
runtime.start().catch((e: Error) => {
  store.appendLog(name, 'runtime', 'C', `the module cannot run: ${e.message}`);
  fatal(e.message);
});
