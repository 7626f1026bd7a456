// The module supervisor: one child process per configured module (src/module/main.ts), restarted
// when it dies, given up with a critical log line when it keeps dying (MAX_DEATHS within
// DEATH_WINDOW_MS). Requests to a module go over the fork IPC channel with a timeout, so a stuck
// module answers "not responding" instead of stalling the daemon.

import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { RuntimeReply, RuntimeRequest } from '../module/runtime.js';

export const MAX_DEATHS = 5;
export const DEATH_WINDOW_MS = 60_000;
const RESTART_DELAY_MS = 300;
const MODULE_MAIN = fileURLToPath(new URL('../module/main.js', import.meta.url));

export interface SupervisorOptions {
  readonly root: string;
  readonly node: string;
  /** Module log lines about the module's process (E: normal, C: critical). */
  readonly log: (module: string, level: 'E' | 'C', text: string) => void;
}

interface Managed {
  child: ChildProcess | null;
  deaths: number[];
  gaveUp: boolean;
  wanted: boolean;
  starts: number;
  /** Stopped on purpose to be started again (a new configuration): not a death. */
  respawn: boolean;
  nextId: number;
  pending: Map<number, { resolve: (r: RuntimeReply) => void; reject: (e: Error) => void; timer: NodeJS.Timeout }>;
}

export interface ModuleProcess {
  readonly module: string;
  readonly pid: number | null;
  readonly starts: number;
  readonly gaveUp: boolean;
}

export class Supervisor {
  private readonly modules = new Map<string, Managed>();

  constructor(private readonly o: SupervisorOptions) {}

  /** Runs a process for every module in `configured` and none for the others. */
  reconcile(configured: readonly string[]): void {
    for (const name of configured) {
      const m = this.modules.get(name) ?? this.add(name);
      m.wanted = true;
      if (m.gaveUp) { m.gaveUp = false; m.deaths = []; } // a new configuration is a new chance
      if (!m.child) this.spawn(name, m);
    }
    for (const [name, m] of this.modules) {
      if (configured.includes(name)) continue;
      m.wanted = false;
      m.child?.kill('SIGTERM');
      this.modules.delete(name);
    }
  }

  /** Restarts a module's process so it re-reads its configuration (the caller checks it is stopped). */
  respawn(name: string): void {
    const m = this.modules.get(name);
    if (!m) return;
    if (m.child) { m.respawn = true; m.child.kill('SIGTERM'); } else if (m.wanted) { m.gaveUp = false; m.deaths = []; this.spawn(name, m); }
  }

  processes(): ModuleProcess[] {
    return [...this.modules].map(([module, m]) => ({ module, pid: m.child?.pid ?? null, starts: m.starts, gaveUp: m.gaveUp }));
  }

  request(module: string, request: RuntimeRequest, timeoutMs = 10_000): Promise<RuntimeReply> {
    const m = this.modules.get(module);
    if (!m?.child?.connected) {
      const why = !m ? 'is not configured on this node' : m.gaveUp ? 'kept dying and was not restarted (see its log; "tandem config -m" gives it a new chance)' : 'is restarting';
      return Promise.reject(new Error(`module ${module} ${why}`));
    }
    const id = m.nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => { m.pending.delete(id); reject(new Error(`module ${module} is not responding (no answer within ${timeoutMs} ms)`)); }, timeoutMs);
      m.pending.set(id, { resolve, reject, timer });
      m.child!.send({ id, request });
    });
  }

  /** Stops every module process and waits for them to exit. */
  async stopAll(): Promise<void> {
    const exits = [...this.modules.values()].map((m) => {
      m.wanted = false;
      const child = m.child;
      if (!child || child.exitCode !== null) return Promise.resolve();
      return new Promise<void>((r) => { child.once('exit', () => r()); child.kill('SIGTERM'); });
    });
    await Promise.all(exits);
  }

  private add(name: string): Managed {
    const m: Managed = { child: null, deaths: [], gaveUp: false, wanted: true, starts: 0, respawn: false, nextId: 1, pending: new Map() };
    this.modules.set(name, m);
    return m;
  }

  private spawn(name: string, m: Managed): void {
    const child = fork(MODULE_MAIN, ['--root', this.o.root, '--node', this.o.node, '--module', name], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    m.child = child;
    m.starts++;
    child.on('message', (msg: { id: number; reply?: RuntimeReply; error?: string }) => {
      const waiter = m.pending.get(msg.id);
      if (!waiter) return;
      m.pending.delete(msg.id);
      clearTimeout(waiter.timer);
      if (msg.reply) waiter.resolve(msg.reply); else waiter.reject(new Error(msg.error ?? 'no reply'));
    });
    child.on('exit', (code, signal) => this.onExit(name, m, child, code, signal));
  }

  private onExit(name: string, m: Managed, child: ChildProcess, code: number | null, signal: NodeJS.Signals | null): void {
    if (m.child !== child) return;
    m.child = null;
    for (const [, w] of m.pending) { clearTimeout(w.timer); w.reject(new Error(`module ${name} process exited while answering`)); }
    m.pending.clear();
    if (!m.wanted) return;
    if (m.respawn) { m.respawn = false; this.spawn(name, m); return; }
    const now = Date.now();
    m.deaths = [...m.deaths.filter((t) => now - t < DEATH_WINDOW_MS), now];
    const how = signal ? `killed by ${signal}` : `exited with code ${code}`;
    if (m.deaths.length >= MAX_DEATHS) {
      m.gaveUp = true;
      this.o.log(name, 'C', `Module process ${how}; it died ${m.deaths.length} times within ${DEATH_WINDOW_MS / 1000} s and is not restarted: read this log, fix the cause, then run "tandem config -m ${name}"`);
      return;
    }
    this.o.log(name, 'E', `Module process ${how}; restarting it`);
    setTimeout(() => { if (m.wanted && !m.child && this.modules.get(name) === m) this.spawn(name, m); }, RESTART_DELAY_MS);
  }
}
