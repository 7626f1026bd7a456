// Module installation and configuration on this node (SAFEKIT-BEHAVIOUR §8.5): module install |
// uninstall | package | list | listid | getports, config | deconfig | confcheck | confinfo -m AM.
// The work is the catalog's; this file reads arguments, prints, and tells a running tandemd to
// start or stop module processes to match.

import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { isAbsolute, join } from 'node:path';
import { CatalogError, ModuleCatalog, type ScriptRun } from '../catalog/catalog.js';
import { paths } from '../daemon/paths.js';
import type { Store } from '../store/store.js';
import { tryDaemon } from './client.js';
import { EXIT, emit, type Output } from './output.js';
import { localNode, openNodeStore } from './record.js';

/** Runs `fn` with the node's catalog; a CatalogError becomes a clear message and an exit code. */
export function withCatalog(out: Output, root: string | undefined, fn: (c: ModuleCatalog) => number): number {
  let store: Store | null = null;
  try {
    store = openNodeStore(root);
    return fn(new ModuleCatalog(paths(root), store, localNode(root)));
  } catch (e) {
    if (!(e instanceof CatalogError)) throw e;
    if (out.json) process.stdout.write(`${JSON.stringify({ ok: false, error: e.message, hint: e.hint }, null, 2)}\n`);
    else process.stderr.write(`tandem: ${e.message}${e.hint ? `\n  ${e.hint}` : ''}\n`);
    return e.invalidInput ? EXIT.invalid : EXIT.failed;
  } finally {
    store?.close();
  }
}

/**
 * After a change to what is installed or configured, a running tandemd adjusts its module
 * processes, and a stopped module's process re-reads its configuration.
 */
export async function reconcileDaemon(root: string | undefined, module?: string): Promise<void> {
  await tryDaemon(root, 'POST', '/api/v1/modules/reconcile');
  if (module) await tryDaemon(root, 'POST', `/api/v1/modules/${encodeURIComponent(module)}/reload`);
}

/** The templates shipped with tandem (built into dist/templates by scripts/build-templates.mjs). */
const TEMPLATES = fileURLToPath(new URL('../../templates/', import.meta.url));
const SHIPPED = ['mirror', 'farm', 'customchecker'];
function shippedTemplate(name: string): string | undefined {
  const file = join(process.env.TANDEM_TEMPLATES ?? TEMPLATES, `${name}.safe`);
  return existsSync(file) ? file : undefined;
}

const runsText = (runs: readonly ScriptRun[]): string[] => runs.map((r) => `  ${r.script}: exit ${r.code}${r.output ? `\n    ${r.output.replace(/\n/g, '\n    ')}` : ''}`);

export function moduleInstall(c: ModuleCatalog, out: Output, name: string, file: string | undefined, o: { id?: string; reinstall?: boolean; nodes?: string }): number {
  file ??= shippedTemplate(name);
  if (!file) throw new CatalogError(`module install needs a .safe file (no shipped template is named "${name}")`, `tandem module install -m ${name} /path/to/${name}.safe; shipped templates: ${SHIPPED.join(', ')}`, true);
  let bytes: Buffer;
  try { bytes = readFileSync(file); } catch (e) { throw new CatalogError(`cannot read ${file}: ${(e as NodeJS.ErrnoException).code}`, undefined, true); }
  const id = o.id === undefined ? undefined : Number(o.id);
  if (id !== undefined && !Number.isInteger(id)) throw new CatalogError(`-M ${o.id}: a module id is a whole number`, undefined, true);
  const r = c.install(name, bytes, { id, reinstall: o.reinstall, nodes: o.nodes?.split(',').map((n) => n.trim()).filter(Boolean) });
  emit(out, { ok: true, module: name, id: r.id }, () => `module ${name} installed with id ${r.id} in ${c.editableDir(name)}\n  next: edit conf/userconfig.xml, then "tandem config -m ${name}"`);
  return EXIT.ok;
}

export function moduleUninstall(c: ModuleCatalog, out: Output, name: string): number {
  const runs = c.uninstall(name);
  emit(out, { ok: true, module: name, scripts: runs }, () => [`module ${name} deconfigured and removed from this node`, ...runsText(runs)].join('\n'));
  return EXIT.ok;
}

export function modulePackage(c: ModuleCatalog, out: Output, name: string, file: string | undefined): number {
  if (!file || !isAbsolute(file)) throw new CatalogError('module package needs an absolute path for the new .safe file', `tandem module package -m ${name} /tmp/${name}.safe`, true);
  const bytes = c.package(name);
  writeFileSync(file, bytes);
  emit(out, { ok: true, module: name, file, bytes: bytes.length }, () => `module ${name} packaged into ${file} (${bytes.length} bytes)`);
  return EXIT.ok;
}

export function moduleList(c: ModuleCatalog, out: Output, withIds: boolean): number {
  const list = c.list();
  emit(out, list, () => list.map((m) => (withIds ? `${m.name} ${m.id}` : m.name)).join('\n') || '(no module installed)');
  return EXIT.ok;
}

export function moduleGetports(c: ModuleCatalog, out: Output, name: string | undefined, id: string | undefined): number {
  const target = name ?? c.list().find((m) => String(m.id) === id)?.name;
  if (!target) throw new CatalogError(id ? `no module with id ${id} on this node` : 'module getports needs -m AM or -i ID', 'see "tandem module listid"', true);
  const ports = c.ports(target);
  emit(out, { module: target, id: c.idOf(target), ports }, () => ports.map((p) => `${p.use.padEnd(24)} ${p.proto.toUpperCase()} ${p.port}`).join('\n'));
  return EXIT.ok;
}

export function moduleConfig(c: ModuleCatalog, out: Output, name: string): number {
  const r = c.apply(name);
  emit(out, { ok: true, module: name, signature: r.signature, warnings: r.check.warnings, scripts: r.runs }, () =>
    [...r.check.warnings, `module ${name} configured (signature ${r.signature})`, ...runsText(r.runs)].join('\n'));
  return EXIT.ok;
}

export function moduleDeconfig(c: ModuleCatalog, out: Output, name: string): number {
  const runs = c.deconfig(name);
  emit(out, { ok: true, module: name, scripts: runs }, () => [`module ${name} deconfigured (its files in ${c.editableDir(name)} are kept)`, ...runsText(runs)].join('\n'));
  return EXIT.ok;
}

export function moduleConfcheck(c: ModuleCatalog, out: Output, name: string): number {
  const { check, runs } = c.confcheck(name);
  const scriptFailed = runs.some((r) => r.code !== 0);
  const ok = !!check.config && !scriptFailed;
  emit(out, { valid: ok, errors: check.errors, warnings: check.warnings, scripts: runs }, () =>
    [`module ${name}: ${ok ? 'valid' : 'invalid'}`, ...check.errors, ...check.warnings, ...runsText(runs)].join('\n'));
  return ok ? EXIT.ok : check.config ? EXIT.failed : EXIT.invalid;
}

export function moduleConfinfo(c: ModuleCatalog, out: Output, name: string): number {
  const info = c.confinfo(name);
  emit(out, { module: name, ...info, equal: info.active?.signature === info.current.signature }, () => [
    `active  ${info.active ? `${info.active.signature} ${info.active.mtime}` : '(not configured)'}`,
    `current ${info.current.signature} ${info.current.mtime}`,
  ].join('\n'));
  return EXIT.ok;
}

export function moduleGenkey(c: ModuleCatalog, out: Output, name: string): number {
  const file = c.genkey(name);
  emit(out, { ok: true, module: name, file }, () => `new module key in ${file}\n  effective at the next "tandem config -m ${name}"; give the peer the same key: tandem -H <peer> -E ${name}`);
  return EXIT.ok;
}

export function moduleDelkey(c: ModuleCatalog, out: Output, name: string): number {
  c.delkey(name);
  emit(out, { ok: true, module: name }, () => `module key deleted: from the next "tandem config -m ${name}" its heartbeats are not authenticated`);
  return EXIT.ok;
}
