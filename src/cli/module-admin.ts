// Node-wide and last-resort module verbs: errd list (from the applied configuration), shutdown
// (stop every module, the OS shutdown path) and clean (log | resource | process | all).

import { callDaemon } from './client.js';
import { EXIT, emit, fail, type Output } from './output.js';
import { caller, openNodeStore } from './record.js';
import { withCatalog } from './module.js';
import { listModules } from './module-control.js';

export function errdList(out: Output, root: string | undefined, module: string | undefined): number {
  if (!module) fail(out, EXIT.invalid, 'errd list needs -m AM', 'tandem errd list -m mirror');
  return withCatalog(out, root, (c) => {
    const config = c.appliedConfig(module);
    if (!config) fail(out, EXIT.failed, `module ${module} is not configured on this node`, `tandem config -m ${module}`);
    const procs = config.errd?.procs ?? [];
    emit(out, procs, () => procs.map((p) => `${p.service ? 'service' : 'process'} ${p.name} class=${p.cls} atleast=${p.atleast} atmax=${p.atmax} action=${p.action}`).join('\n') || `module ${module} monitors no process`);
    return EXIT.ok;
  });
}

export async function shutdownAll(out: Output, root: string | undefined): Promise<number> {
  const results: { module: string; ok: boolean; message: string }[] = [];
  for (const { module } of await listModules('shutdown', out, root)) {
    const r = await callDaemon<{ ok: boolean; message: string }>('shutdown', out, root, 'POST', `/api/v1/modules/${encodeURIComponent(module)}/commands`, { command: { kind: 'shutdown' }, by: caller() });
    results.push({ module, ok: r.body.ok, message: r.body.message });
  }
  emit(out, { ok: results.every((r) => r.ok), modules: results }, () => results.map((r) => `${r.module}: ${r.message}`).join('\n') || 'no module is configured on this node');
  return results.every((r) => r.ok) ? EXIT.ok : EXIT.failed;
}

export async function cleanModule(out: Output, root: string | undefined, module: string | undefined, what: string): Promise<number> {
  if (!module) fail(out, EXIT.invalid, 'clean needs -m AM', 'tandem clean log -m mirror');
  if (!['all', 'log', 'resource', 'process'].includes(what)) fail(out, EXIT.invalid, `clean takes all, log, resource or process, not "${what}"`);
  const proc = (await listModules('clean', out, root)).find((m) => m.module === module);
  const done: string[] = [];
  if (what === 'resource' || what === 'all') {
    const state = await callDaemon<{ status?: { state: string } }>('clean', out, root, 'GET', `/api/v1/modules/${encodeURIComponent(module)}`);
    if (state.body.status && state.body.status.state !== 'STOP') fail(out, EXIT.failed, `clean ${what} resets resources and needs module ${module} stopped; it is ${state.body.status.state}`, `tandem stop -m ${module}`);
  }
  const store = openNodeStore(root);
  try {
    if (what === 'log' || what === 'all') done.push(`${store.clearLog(module)} log lines removed`);
    if (what === 'resource' || what === 'all') done.push(`${store.clearResources(module)} resource rows removed`);
  } finally {
    store.close();
  }
  // the module process re-reads its resources when it restarts: the supervisor restarts it
  if ((what === 'process' || what === 'resource' || what === 'all') && proc?.pid) {
    process.kill(proc.pid, 'SIGKILL');
    done.push(`module process ${proc.pid} killed (tandemd restarts it)`);
  }
  emit(out, { ok: true, module, done }, () => done.join('\n'));
  return EXIT.ok;
}

export async function moduleProcesses(out: Output, root: string | undefined): Promise<number> {
  const modules = await listModules('module processes', out, root);
  emit(out, modules, () => modules.map((m) => `${m.module.padEnd(16)} ${m.gaveUp ? 'given up (kept dying)' : m.pid ? `pid ${m.pid}` : 'restarting'}, started ${m.starts} time(s)`).join('\n') || 'no module is configured on this node');
  return EXIT.ok;
}
