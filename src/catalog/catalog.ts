// The modules installed on this node: their editable directories (/etc/tandem/modules/AM: conf/
// userconfig.xml and bin/ scripts), their ids (the node store), the applied copy the module runtime
// reads (/var/lib/tandem/modules/AM/applied) and the last applied configurations (history/). It
// installs, packages, checks, applies and removes; it never runs a module. Every refusal throws a
// CatalogError before anything on disk has changed.

import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseClusterXml } from '../config/cluster.js';
import { parseUserConfig } from '../config/userconfig.js';
import { formatProblem } from '../config/problems.js';
import type { ClusterConfig, ModuleConfig } from '../shared/config.js';
import type { Paths } from '../daemon/paths.js';
import type { Store } from '../store/store.js';
import { readTree, replaceTree, treeMtime, treeSignature } from './files.js';
import { hostProblems } from './host-check.js';
import { readZip, writeZip, ZipError, type ZipEntry } from './zip.js';

export class CatalogError extends Error {
  constructor(message: string, readonly hint?: string, readonly invalidInput = false) { super(message); }
}

export const MODULE_NAME = /^[A-Za-z][A-Za-z0-9_]{0,31}$/;
const HISTORY_KEPT = 3;
const SCRIPT_TIMEOUT_MS = 120_000;

export interface ModuleCheck {
  readonly config: ModuleConfig | null;
  /** Every problem, formatted with file:line:col or naming the element. */
  readonly errors: readonly string[];
  readonly warnings: readonly string[];
}

export interface ScriptRun { readonly script: string; readonly code: number; readonly output: string }

export class ModuleCatalog {
  constructor(private readonly p: Paths, private readonly store: Store, private readonly node: string | null) {}

  editableDir(name: string): string { return join(this.p.etc, 'modules', name); }
  appliedDir(name: string): string { return join(this.p.lib, 'modules', name, 'applied'); }
  private historyDir(name: string): string { return join(this.p.lib, 'modules', name, 'history'); }

  list(): { name: string; id: number; configured: boolean }[] {
    return this.store.modules().map((m) => ({ ...m, configured: existsSync(this.appliedDir(m.name)) }));
  }

  idOf(name: string): number {
    const m = this.store.modules().find((x) => x.name === name);
    if (!m) throw new CatalogError(`module "${name}" is not installed on this node`, `installed: ${this.store.modules().map((x) => x.name).join(', ') || 'none'}; install it with "tandem module install -m ${name} FILE.safe"`);
    return m.id;
  }

  /**
   * The nodes the module is installed on, when known (`-E` records them): in a cluster of more than
   * two nodes they tell a mirror which node is its peer.
   */
  nodesOf(name: string): string[] | null {
    const file = join(this.p.lib, 'modules', name, 'nodes.json');
    return existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as string[]) : null;
  }

  setNodes(name: string, nodes: readonly string[]): void {
    mkdirSync(join(this.p.lib, 'modules', name), { recursive: true });
    writeFileSync(join(this.p.lib, 'modules', name, 'nodes.json'), `${JSON.stringify([...new Set(nodes)].sort())}\n`);
  }

  /** Installs a .safe (zip bytes) as module `name`; `id` forces the id (as `-E` does to keep ids equal). */
  install(name: string, safe: Buffer, options: { id?: number; reinstall?: boolean; nodes?: readonly string[] } = {}): { id: number } {
    if (!MODULE_NAME.test(name)) throw new CatalogError(`"${name}" is not a valid module name`, 'use a letter then letters, digits or _ (at most 32)', true);
    const existing = this.store.modules();
    const mine = existing.find((m) => m.name === name);
    if (mine && !options.reinstall) throw new CatalogError(`module "${name}" is already installed (id ${mine.id})`, 'add -r to reinstall it, or uninstall it first');
    let entries: ZipEntry[];
    try { entries = readZip(safe); } catch (e) { throw new CatalogError(`the package is not a valid .safe file: ${(e as Error).message}`, undefined, true); }
    entries = stripTopFolder(entries);
    if (!entries.some((e) => e.name === 'conf/userconfig.xml')) {
      throw new CatalogError('the package has no conf/userconfig.xml', 'a .safe is a zip of a module directory: conf/userconfig.xml and bin/ scripts', true);
    }
    const id = options.id ?? mine?.id ?? firstFreeId(existing.map((m) => m.id));
    if (!Number.isInteger(id) || id < 1 || id > 1000) throw new CatalogError(`module id ${id} is out of range`, 'ids run from 1 to 1000', true);
    const owner = existing.find((m) => m.id === id && m.name !== name);
    if (owner) throw new CatalogError(`module id ${id} is already used by module "${owner.name}" on this node`, 'module ids must be equal on every node: uninstall the other module, or install with another -M id everywhere');
    replaceTree(this.editableDir(name), entries);
    this.store.addModule(name, id);
    if (options.nodes) this.setNodes(name, options.nodes);
    return { id };
  }

  /** The editable module directory as a .safe package. */
  package(name: string): Buffer {
    this.idOf(name);
    return writeZip(readTree(this.editableDir(name)));
  }

  uninstall(name: string): ScriptRun[] {
    this.idOf(name);
    this.assertStopped(name, 'uninstall');
    const runs = existsSync(this.appliedDir(name)) ? this.deconfig(name) : [];
    rmSync(this.editableDir(name), { recursive: true, force: true });
    rmSync(join(this.p.lib, 'modules', name), { recursive: true, force: true });
    this.store.removeModule(name);
    return runs;
  }

  /** Validates the editable configuration, against the applied cluster and this machine. */
  check(name: string): ModuleCheck {
    const id = this.idOf(name);
    const file = join(this.editableDir(name), 'conf', 'userconfig.xml');
    const cluster = this.cluster();
    let text: string;
    try { text = readFileSync(file, 'utf8'); } catch (e) { return { config: null, errors: [`${file}: cannot read: ${(e as NodeJS.ErrnoException).code}`], warnings: [] }; }
    const r = parseUserConfig(text, file, { name, id, cluster: cluster ?? undefined, installedOn: this.nodesOf(name) ?? undefined, env: process.env as Record<string, string> });
    const errors = r.problems.items.filter((x) => x.severity === 'error').map(formatProblem);
    const warnings = r.problems.items.filter((x) => x.severity !== 'error').map(formatProblem);
    if (existsSync(join(this.editableDir(name), 'conf', 'module.nokey'))) warnings.push(`module ${name} has no key ("tandem module delkey"): its heartbeats will not be authenticated`);
    if (r.config) errors.push(...hostProblems(r.config, this.node, cluster, join(this.editableDir(name), 'bin')));
    return { config: errors.length ? null : r.config, errors, warnings };
  }

  /** `confcheck -m`: the checks, then the module's own `confcheck` script. */
  confcheck(name: string): { check: ModuleCheck; runs: ScriptRun[] } {
    const check = this.check(name);
    const runs = check.config ? this.runScripts(name, this.editableDir(name), ['confcheck']) : [];
    return { check, runs };
  }

  /**
   * `config -m`: check, run confcheck/config, copy the editable directory to the applied one
   * (keeping the last three), generate the start/stop wrappers, run postconfig. Refused on a
   * running module (the dynamic subset comes with the module runtime) and on any problem.
   */
  apply(name: string): { check: ModuleCheck; runs: ScriptRun[]; signature: string } {
    this.assertStopped(name, 'config');
    const check = this.check(name);
    if (!check.config) throw new CatalogError(`the configuration of module "${name}" has problems; nothing was applied:\n  ${check.errors.join('\n  ')}`, `fix ${this.editableDir(name)}, then run "tandem config -m ${name}" again`, true);
    const keyNote = this.ensureModuleKey(name);
    const runs = this.runScripts(name, this.editableDir(name), ['confcheck', 'config']);
    const failed = runs.find((r) => r.code !== 0);
    if (failed) throw new CatalogError(`the module's ${failed.script} script failed (exit ${failed.code}); nothing was applied:\n${failed.output}`, `fix bin/${failed.script} or what it checks`);
    const entries = readTree(this.editableDir(name));
    const applied = this.appliedDir(name);
    if (existsSync(applied)) this.keepInHistory(name, readTree(applied));
    replaceTree(applied, [...entries, ...wrappers(name, check.config, this.p, applied)]);
    writeFileSync(join(applied, 'conf', 'safeconf.json'), `${JSON.stringify(check.config, null, 2)}\n`);
    runs.push(...this.runScripts(name, applied, ['postconfig']));
    return { check: keyNote ? { ...check, warnings: [...check.warnings, keyNote] } : check, runs, signature: treeSignature(entries) };
  }

  deconfig(name: string): ScriptRun[] {
    this.idOf(name);
    this.assertStopped(name, 'deconfig');
    const applied = this.appliedDir(name);
    if (!existsSync(applied)) throw new CatalogError(`module "${name}" is not configured on this node`, `configure it with "tandem config -m ${name}"`);
    const runs = this.runScripts(name, applied, ['deconfig']);
    this.keepInHistory(name, readTree(applied));
    rmSync(applied, { recursive: true, force: true });
    return runs;
  }

  /**
   * `module genkey`: a new module key (32 random bytes, conf/module.key, 0600). Heartbeats are
   * authenticated and module traffic bound to it; both nodes need the same one, so it travels with
   * the module (`-E`). Effective at the next `config -m`.
   */
  genkey(name: string): string {
    this.idOf(name);
    const conf = join(this.editableDir(name), 'conf');
    mkdirSync(conf, { recursive: true });
    writeFileSync(join(conf, 'module.key'), `${randomBytes(32).toString('base64')}\n`, { mode: 0o600 });
    rmSync(join(conf, 'module.nokey'), { force: true });
    return join(conf, 'module.key');
  }

  /** `module delkey`: the module runs without a key (unauthenticated, with a warning) from the next `config -m`. */
  delkey(name: string): void {
    this.idOf(name);
    const conf = join(this.editableDir(name), 'conf');
    rmSync(join(conf, 'module.key'), { force: true });
    writeFileSync(join(conf, 'module.nokey'), 'keys deleted with "tandem module delkey"; "tandem module genkey" makes new ones\n');
  }

  /** Our default (docs/decisions/0008): a module gets a key at its first configuration, unless delkey said no. */
  private ensureModuleKey(name: string): string | null {
    const conf = join(this.editableDir(name), 'conf');
    if (existsSync(join(conf, 'module.key'))) return null;
    if (existsSync(join(conf, 'module.nokey'))) return `warning: module ${name} has no key ("tandem module delkey"): its heartbeats are not authenticated; "tandem module genkey -m ${name}" then "tandem -H <peer> -E ${name}" restores them`;
    this.genkey(name);
    return `note: module ${name} had no key, so one was generated; give the other nodes the same one with "tandem -H <nodes> -E ${name}"`;
  }

  /** Signature and date of the applied configuration against the editable one. */
  confinfo(name: string): { active: { signature: string; mtime: number } | null; current: { signature: string; mtime: number } } {
    this.idOf(name);
    const applied = this.appliedDir(name);
    const sig = (dir: string) => treeSignature(readTree(dir).filter((e) => !e.name.startsWith('wrappers/') && e.name !== 'conf/safeconf.json'));
    return {
      active: existsSync(applied) ? { signature: sig(applied), mtime: treeMtime(join(applied, 'conf')) } : null,
      current: { signature: sig(this.editableDir(name)), mtime: treeMtime(this.editableDir(name)) },
    };
  }

  /** The ports module `name` uses, derived from its id and configuration (`module getports`). */
  ports(name: string): { use: string; proto: 'udp' | 'tcp'; port: number }[] {
    const id = this.idOf(name);
    const file = join(this.editableDir(name), 'conf', 'userconfig.xml');
    const config = existsSync(file) ? parseUserConfig(readFileSync(file, 'utf8'), file, { name, id }).config : null;
    const clusterPort = this.cluster()?.port ?? 4800;
    const ports: { use: string; proto: 'udp' | 'tcp'; port: number }[] = [
      { use: 'membership (safeadmin)', proto: 'udp', port: clusterPort },
      { use: 'node API (mutual TLS)', proto: 'tcp', port: clusterPort },
      { use: 'web console', proto: 'tcp', port: 9010 },
    ];
    if (config?.ports.heart) ports.push({ use: 'heartbeat', proto: 'udp', port: config.ports.heart });
    if (config?.ports.rfs) ports.push({ use: 'replication data', proto: 'tcp', port: config.ports.rfs }, { use: 'replication control', proto: 'tcp', port: config.ports.rfs + 1 });
    if (config?.ports.farm) ports.push({ use: 'farm', proto: 'udp', port: config.ports.farm });
    return ports;
  }

  /** The configuration the module runs with (written by `config -m`), or null when not configured. */
  appliedConfig(name: string): ModuleConfig | null {
    const file = join(this.appliedDir(name), 'conf', 'safeconf.json');
    return existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as ModuleConfig) : null;
  }

  /** Applied configurations kept, newest first. */
  history(name: string): string[] {
    const dir = this.historyDir(name);
    return existsSync(dir) ? readdirSync(dir).sort().reverse() : [];
  }

  cluster(): ClusterConfig | null {
    const file = join(this.p.etc, 'cluster.xml');
    if (!existsSync(file)) return null;
    return parseClusterXml(readFileSync(file, 'utf8'), file).config;
  }

  private assertStopped(name: string, verb: string): void {
    const st = this.store.moduleStates().find((s) => s.module === name);
    if (st && st.state !== 'STOP') throw new CatalogError(`module "${name}" is ${st.state} on this node; ${verb} needs it stopped`, `run "tandem stop -m ${name}" first`);
  }

  private keepInHistory(name: string, entries: readonly ZipEntry[]): void {
    const dir = this.historyDir(name);
    mkdirSync(dir, { recursive: true });
    const stamp = new Date().toISOString().replace(/[:.]/g, '-');
    replaceTree(join(dir, stamp), entries);
    for (const old of this.history(name).slice(HISTORY_KEPT)) rmSync(join(dir, old), { recursive: true, force: true });
  }

  private runScripts(name: string, moduleDir: string, scripts: readonly string[]): ScriptRun[] {
    const runs: ScriptRun[] = [];
    for (const script of scripts) {
      const path = join(moduleDir, 'bin', script);
      if (!existsSync(path)) continue;
      const r = spawnSync(path, [], { env: scriptEnv(name, moduleDir, this.p), encoding: 'utf8', timeout: SCRIPT_TIMEOUT_MS });
      const code = r.status ?? (r.error ? 127 : 128);
      runs.push({ script, code, output: `${r.stdout ?? ''}${r.stderr ?? ''}${r.error ? String(r.error.message) : ''}`.trim() });
      if (code !== 0) break;
    }
    return runs;
  }
}

/** SafeKit's script environment (SAFEKIT-BEHAVIOUR §1.2). */
export function scriptEnv(name: string, moduleDir: string, p: Paths): NodeJS.ProcessEnv {
  return {
    ...process.env,
    SAFE: p.etc, SAFEBIN: join(p.etc, 'bin'), SAFEVAR: p.lib, SAFEMODULE: name,
    SAFEUSERBIN: join(moduleDir, 'bin'), SAFEUSERCONF: join(moduleDir, 'conf'), SAFEUSERVAR: join(p.lib, 'modules', name),
  };
}

function firstFreeId(used: readonly number[]): number {
  let id = 1;
  while (used.includes(id)) id++;
  return id;
}

/** A package zipped with its folder ("AM/conf/…" or "mirror/conf/…") installs like a flat one. */
function stripTopFolder(entries: ZipEntry[]): ZipEntry[] {
  const tops = new Set(entries.map((e) => e.name.split('/')[0]));
  if (tops.size !== 1 || entries.some((e) => !e.name.includes('/'))) return entries;
  const [top] = tops;
  if (top === 'conf' || top === 'bin') return entries;
  return entries.map((e) => ({ ...e, name: e.name.slice(top.length + 1) }));
}

/** The start/stop wrappers: the application scripts with the module environment, usable while the module is stopped. */
function wrappers(name: string, config: ModuleConfig, p: Paths, applied: string): ZipEntry[] {
  const [start, stop] = config.mode === 'mirror' ? ['start_prim', 'stop_prim'] : ['start_both', 'stop_both'];
  const env = scriptEnv(name, applied, p);
  const exports = ['SAFE', 'SAFEBIN', 'SAFEVAR', 'SAFEMODULE', 'SAFEUSERBIN', 'SAFEUSERCONF', 'SAFEUSERVAR']
    .map((k) => `export ${k}=${shellQuote(env[k] ?? '')}`).concat(config.user?.vars.map((v) => `export ${v.name}=${shellQuote(v.value)}`) ?? []);
  const wrap = (script: string) => Buffer.from(`#!/bin/sh\n# generated by "tandem config -m ${name}": runs ${script} with the module environment\n${exports.join('\n')}\nexec "$SAFEUSERBIN/${script}" "$@"\n`);
  return [
    { name: `wrappers/${name}_start_wrapper`, data: wrap(start), mode: 0o755 },
    { name: `wrappers/${name}_stop_wrapper`, data: wrap(stop), mode: 0o755 },
  ];
}

function shellQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

export { ZipError };
