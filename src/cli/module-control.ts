// Module control and the verbs scripts rely on (SAFEKIT-BEHAVIOUR §8.3–8.4), through tandemd and
// the module's process: start/stop/…, state [-v|-lq], waitstate/waitstart/waitstop, set/get,
// failover/errd/checker/boot switches, incloop/resetloop/checkloop.

import type { ModuleCommand, ModuleStatus, RuntimeReply } from '../module/runtime.js';
import { callDaemon } from './client.js';
import { EXIT, emit, fail, type Output } from './output.js';
import { caller } from './record.js';

/** `state -lq` exit codes (SAFEKIT-BEHAVIOUR §2.1). */
export const STATE_EXIT: Readonly<Record<string, number>> = { STOP: 0, WAIT: 1, ALONE: 2, UP: 2, PRIM: 3, SECOND: 4 };
const STABLE = new Set(Object.keys(STATE_EXIT));

interface Failure { readonly ok: false; readonly message: string }

export interface ModuleProcessRow { readonly module: string; readonly pid: number | null; readonly starts: number; readonly gaveUp: boolean }

/** The modules tandemd runs, with their processes (GET /api/v1/modules). */
export async function listModules(verb: string, out: Output, root: string | undefined): Promise<ModuleProcessRow[]> {
  return (await callDaemon<{ modules: ModuleProcessRow[] }>(verb, out, root, 'GET', '/api/v1/modules')).body.modules;
}
type Answer = RuntimeReply | Failure;

async function ask(command: string, out: Output, root: string | undefined, method: 'GET' | 'POST', path: string, body?: unknown): Promise<{ status: number; body: Answer }> {
  return callDaemon<Answer>(command, out, root, method, path, body);
}

/** Prints the module's answer; 0 when done, 1 when refused or the module is unavailable. */
function finish(out: Output, r: { status: number; body: Answer }): number {
  const doc = r.body;
  if (doc.ok) { emit(out, doc, () => doc.message); return EXIT.ok; }
  if (out.json) process.stdout.write(`${JSON.stringify(doc, null, 2)}\n`);
  else process.stderr.write(`tandem: ${doc.message}${'status' in doc ? ` (module ${doc.status.module} is ${doc.status.state})` : ''}\n`);
  return EXIT.failed;
}

function needModule(out: Output, verb: string, module: string | undefined): string {
  if (!module) fail(out, EXIT.invalid, `${verb} needs -m AM (or SAFEMODULE in a module script)`, `tandem ${verb} -m mirror`);
  return module;
}

export async function sendCommand(out: Output, root: string | undefined, verb: string, module: string | undefined, command: ModuleCommand, identity?: string): Promise<number> {
  const m = needModule(out, verb, module);
  return finish(out, await ask(verb, out, root, 'POST', `/api/v1/modules/${encodeURIComponent(m)}/commands`, { command, by: caller(), identity }));
}

async function status(out: Output, root: string | undefined, verb: string, module: string): Promise<ModuleStatus | Failure> {
  const r = await ask(verb, out, root, 'GET', `/api/v1/modules/${encodeURIComponent(module)}`);
  return 'status' in r.body ? r.body.status : r.body;
}

export async function showState(out: Output, root: string | undefined, module: string | undefined, o: { verbose?: boolean; lq?: boolean }): Promise<number> {
  if (!module) {
    const states = await Promise.all((await listModules('state', out, root)).map((m) => status(out, root, 'state', m.module)));
    emit(out, states, () => states.map((s) => ('state' in s ? `${s.module.padEnd(16)} ${s.state} (${s.qualifier})` : s.message)).join('\n') || 'no module is configured on this node');
    return EXIT.ok;
  }
  const s = await status(out, root, 'state', module);
  if (!('state' in s)) { finish(out, { status: 503, body: s }); return EXIT.failed; }
  if (o.lq) {
    emit(out, { module, state: s.state, code: STATE_EXIT[s.state] }, () => s.state);
    return STATE_EXIT[s.state] ?? EXIT.failed;
  }
  const day = (ms?: number) => (ms ? new Date(ms).toISOString().slice(0, 10) : '-');
  emit(out, s, () => [
    `${module}: ${s.state} (${s.qualifier})`,
    ...(o.verbose ? Object.entries(s.resources).sort().map(([k, v]) => `${k} ${v} ${day(s.changedAt[k])}`) : []),
    ...(o.verbose ? Object.entries(s.heartbeats ?? {}).map(([ident, h]) => `heartbeat ${ident}: ${h.received} received, largest gap ${Math.round(h.recentMaxGapMs)} ms lately, ${Math.round(h.maxGapMs)} ms since the module process started`) : []),
  ].join('\n'));
  return EXIT.ok;
}

/**
 * While a wait lasts (the state waited for not reached yet), a line on stderr (not with --json)
 * each time the module's state changes or a resynchronisation says how far it got
 * (`rfs.reintegration`, on the primary and the secondary); a value of that resource left from
 * before the wait is not shown as news.
 */
function waitProgress(out: Output, m: string): (s: ModuleStatus) => void {
  if (out.json) return () => undefined;
  let before: string | undefined;
  let first = true;
  let said = '';
  return (s) => {
    const reintegration = s.resources['rfs.reintegration'];
    if (first) { before = reintegration; first = false; }
    const news = reintegration !== undefined && reintegration !== before ? ` — ${reintegration}` : '';
    const line = `${m}: ${s.state} (${s.qualifier})${news}`;
    if (line === said) return;
    said = line;
    process.stderr.write(`${line}\n`);
  };
}

/** waitstate / waitstart / waitstop: poll until `done`, or fail after `timeout` seconds (0: never). */
export async function waitFor(out: Output, root: string | undefined, verb: string, module: string | undefined, want: string | undefined, timeoutS: string | undefined): Promise<number> {
  const m = needModule(out, verb, module);
  if (verb === 'waitstate' && (!want || !STABLE.has(want))) fail(out, EXIT.invalid, `waitstate needs one of ${[...STABLE].join(', ')}`, `tandem waitstate -m ${m} PRIM`);
  const limit = timeoutS === undefined ? 0 : Number(timeoutS);
  if (!Number.isFinite(limit) || limit < 0) fail(out, EXIT.invalid, `--timeout ${timeoutS} is not a number of seconds`);
  const done = (s: ModuleStatus): boolean =>
    verb === 'waitstop' ? s.state === 'STOP' : verb === 'waitstart' ? s.state !== 'STOP' && s.qualifier !== 'Transient' : s.state === want && s.qualifier !== 'Transient';
  const end = Date.now() + limit * 1000;
  const progress = waitProgress(out, m);
  for (;;) {
    const s = await status(out, root, verb, m);
    if (!('state' in s)) { finish(out, { status: 503, body: s }); return EXIT.failed; }
    if (done(s)) { emit(out, { ok: true, module: m, state: s.state, qualifier: s.qualifier }, () => `${m}: ${s.state} (${s.qualifier})`); return EXIT.ok; }
    progress(s);
    if (limit > 0 && Date.now() > end) {
      fail(out, EXIT.failed, `${verb}: module ${m} is still ${s.state} (${s.qualifier}) after ${limit} s`);
    }
    await new Promise((r) => setTimeout(r, 300));
  }
}

export async function setResource(out: Output, root: string | undefined, module: string | undefined, o: { resource?: string; value?: string; n?: boolean; identity?: string }): Promise<number> {
  const m = needModule(out, 'set', module);
  if (!o.resource || o.value === undefined) fail(out, EXIT.invalid, 'set needs -r RESOURCE and -v VALUE', `tandem set -m ${m} -r custom.app -v down -i appcheck`);
  return finish(out, await ask('set', out, root, 'POST', `/api/v1/modules/${encodeURIComponent(m)}/resources`, { name: o.resource, value: o.value, by: o.identity ?? caller(), history: !o.n }));
}

export async function getResource(out: Output, root: string | undefined, module: string | undefined, resource: string | undefined): Promise<number> {
  const m = needModule(out, 'get', module);
  if (!resource) fail(out, EXIT.invalid, 'get needs -r RESOURCE', `tandem get -m ${m} -r state.local`);
  const s = await status(out, root, 'get', m);
  if (!('state' in s)) { finish(out, { status: 503, body: s }); return EXIT.failed; }
  const value = s.resources[resource];
  if (value === undefined) fail(out, EXIT.failed, `module ${m} has no resource "${resource}"`, `list them with "tandem state -m ${m} -v"`);
  emit(out, { module: m, resource, value }, () => value);
  return EXIT.ok;
}

/** failover | errd | checker on|off (and errd enable|disable CLASS): persisted switches, accepted on a stopped module. */
export async function switchSetting(out: Output, root: string | undefined, verb: 'failover' | 'errd' | 'checker', module: string | undefined, args: readonly string[]): Promise<number> {
  const m = needModule(out, verb, module);
  const [what, cls] = args;
  if (verb === 'errd' && (what === 'enable' || what === 'disable')) {
    if (!cls) fail(out, EXIT.invalid, `errd ${what} needs a process class`, `tandem errd ${what} myclass -m ${m}`);
    return finish(out, await ask(verb, out, root, 'POST', `/api/v1/modules/${encodeURIComponent(m)}/resources`, { name: `usersetting.errdclass.${cls}`, value: what === 'enable' ? 'on' : 'off', by: caller(), history: true }));
  }
  if (what !== 'on' && what !== 'off') fail(out, EXIT.invalid, `${verb} takes on or off${verb === 'errd' ? ' (or enable|disable CLASS, list)' : ''}, not "${what ?? ''}"`, `tandem ${verb} off -m ${m}`);
  return sendCommand(out, root, verb, m, { kind: 'setting', setting: verb, on: what === 'on' });
}

/** boot on|off (usersetting.boot, read by boot="ignore" modules at the next boot) and boot status. */
export async function bootSetting(out: Output, root: string | undefined, module: string | undefined, what: string | undefined): Promise<number> {
  if (what === 'status') {
    const modules = module ? [module] : (await listModules('boot', out, root)).map((x) => x.module);
    const rows = await Promise.all(modules.map(async (name) => {
      const s = await status(out, root, 'boot', name);
      return { module: name, boot: 'state' in s ? (s.resources['usersetting.boot'] ?? 'off') : s.message };
    }));
    emit(out, rows, () => rows.map((r) => `${r.module} ${r.boot}`).join('\n') || 'no module is configured on this node');
    return EXIT.ok;
  }
  const m = needModule(out, 'boot', module);
  if (what !== 'on' && what !== 'off') fail(out, EXIT.invalid, `boot takes on, off or status, not "${what ?? ''}"`, `tandem boot on -m ${m}`);
  return finish(out, await ask('boot', out, root, 'POST', `/api/v1/modules/${encodeURIComponent(m)}/resources`, { name: 'usersetting.boot', value: what, by: caller(), history: true }));
}
