// Runs a module's checkers (SAFEKIT-BEHAVIOUR §5.9): those whose `when` class the core announced
// active (the `checkers` action), at once and then every interval; each verdict becomes the
// checker's resource (up | down), reported only when it changes. Checkers of inactive classes stop,
// and the core resets their resources to init.
//
// Kinds: intf (the interface of a VIP network is up) and ip (the VIP is present on this node),
// generated from <virtual_addr check="on">; tcp (a connection opens within the timeout); ping (one
// ICMP echo answered, iputils ping); custom (a program of the module that loops and reports with
// `tandem set`, started when its class is active and stopped when it is not); module (another
// module's state, module-check.ts). The splitbrain checker is not polled: the runtime asks the
// witness when the core says every heartbeat is lost (witness.ts). errd is errd.ts.

import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { connect } from 'node:net';
import { isAbsolute, join } from 'node:path';
import { promisify } from 'node:util';
import type { Checker, WhenClass } from '../shared/config.js';
import { canonical, deviceFor } from '../vip/mirror-vip.js';
import { probeModule, type ModuleCheckEnv } from './module-check.js';

const run = promisify(execFile);


type Verdict = 'up' | 'down';

async function check(c: Checker, prefix: number): Promise<Verdict> {
  if (c.type === 'intf') {
    const device = c.target.interface ?? await deviceFor(c.target.network ?? '', prefix);
    if (!device) return 'down';
    const { stdout } = await run('ip', ['-o', 'link', 'show', 'dev', device]);
    return /[<,]LOWER_UP[,>]/.test(stdout) && /[<,]UP[,>]/.test(stdout) ? 'up' : 'down';
  }
  if (c.type === 'tcp') return tcpOpens(c.target.addr, Number(c.target.port), c.timeoutMs);
  if (c.type === 'ping') {
    const ok = await run('ping', ['-n', '-q', '-c', '1', '-W', String(Math.max(1, Math.ceil(c.timeoutMs / 1000))), c.target.addr]).then(() => true, () => false);
    return ok ? 'up' : 'down';
  }
  const { stdout } = await run('ip', ['-o', 'addr', 'show']);
  const addr = canonical(c.target.addr);
  return stdout.split('\n').some((l) => l.includes(` inet ${addr}/`) || l.includes(` inet6 ${addr}/`)) ? 'up' : 'down';
}

function tcpOpens(host: string, port: number, timeoutMs: number): Promise<Verdict> {
  return new Promise((resolve) => {
    const socket = connect({ host, port, timeout: timeoutMs });
    const done = (v: Verdict): void => { socket.destroy(); resolve(v); };
    socket.once('connect', () => done('up'));
    socket.once('timeout', () => done('down'));
    socket.once('error', () => done('down'));
  });
}

export interface CheckerEnv {
  readonly module: string;
  readonly binDir: string;
  readonly env: NodeJS.ProcessEnv;
  /** A custom checker program ended (it should loop forever). */
  readonly onExit: (ident: string, code: number | null) => void;
  readonly moduleCheck: ModuleCheckEnv;
  /** A watched module restarted while up: this module stop-starts. */
  readonly onModuleRestart: (c: Checker) => void;
  /** Why a checker went down, when it can tell (module checker). */
  readonly onDownReason: (c: Checker, reason: string) => void;
}

export class CheckerRunner {
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private readonly last = new Map<string, Verdict>();
  private readonly customs = new Map<string, ChildProcess>();
  /** Per module checker: the run of the watched module last seen up. */
  private readonly started = new Map<string, string>();

  constructor(
    private readonly checkers: readonly Checker[],
    private readonly report: (resource: string, value: Verdict, by: string) => void,
    private readonly env: CheckerEnv,
    /** The prefix length of the VIP networks, to find an interface by network address. */
    private readonly prefix = 24,
  ) {}

  /** Runs the checkers of the active classes (and `enabled`, the checker on|off switch); stops the others. */
  setActive(active: readonly WhenClass[], enabled: boolean): void {
    for (const c of this.checkers) {
      if (c.type === 'splitbrain') continue; // asked by the runtime, never polled
      const on = enabled && active.includes(c.when);
      if (c.type === 'custom') { this.setCustom(c, on); continue; }
      const running = this.timers.has(c.resource);
      if (on && !running) {
        this.last.delete(c.resource); // a class that starts again reports afresh (the core reset it to init)
        this.started.delete(c.resource);
        const tick = (): void => void this.once(c);
        tick();
        this.timers.set(c.resource, setInterval(tick, c.intervalMs));
      } else if (!on && running) {
        clearInterval(this.timers.get(c.resource));
        this.timers.delete(c.resource);
      }
    }
  }

  stop(): void {
    for (const t of this.timers.values()) clearInterval(t);
    this.timers.clear();
    for (const c of this.checkers) if (c.type === 'custom') this.setCustom(c, false);
  }

  /** A custom checker runs as long as its class is active: `exec <module> <resource> [arg…]`. */
  private setCustom(c: Checker, on: boolean): void {
    const child = this.customs.get(c.resource);
    if (on && !child) {
      const exec = isAbsolute(c.target.exec) ? c.target.exec : join(this.env.binDir, c.target.exec);
      const args = [this.env.module, c.resource, ...(c.target.arg ? c.target.arg.split(/\s+/).filter(Boolean) : [])];
      const p = spawn(exec, args, { env: this.env.env, cwd: this.env.binDir, stdio: 'ignore', detached: true });
      p.on('error', () => undefined); // reported by the exit below
      p.on('exit', (code) => {
        if (this.customs.get(c.resource) !== p) return;
        this.customs.delete(c.resource);
        this.env.onExit(c.ident, code);
      });
      this.customs.set(c.resource, p);
    } else if (!on && child) {
      this.customs.delete(c.resource);
      try { process.kill(-child.pid!, 'SIGTERM'); } catch { /* gone */ }
    }
  }

  private async once(c: Checker): Promise<void> {
    let verdict: Verdict;
    if (c.type === 'module') verdict = await this.onceModule(c);
    else {
      try { verdict = await check(c, this.prefix); } catch { verdict = 'down'; }
    }
    if (!this.timers.has(c.resource) || this.last.get(c.resource) === verdict) return;
    this.last.set(c.resource, verdict);
    this.report(c.resource, verdict, `${c.type}check`);
  }

  /** A module checker's verdict; a changed run of the watched module while up is a restart. */
  private async onceModule(c: Checker): Promise<Verdict> {
    const probe = await probeModule(c, this.env.moduleCheck).catch((e: Error) => ({ verdict: 'down' as const, started: null, reason: e.message }));
    if (!this.timers.has(c.resource)) return probe.verdict;
    if (probe.verdict === 'down') {
      if (this.last.get(c.resource) !== 'down') this.env.onDownReason(c, probe.reason);
      this.started.delete(c.resource);
      return 'down';
    }
    const before = this.started.get(c.resource);
    this.started.set(c.resource, probe.started!);
    if (before !== undefined && before !== probe.started && this.last.get(c.resource) === 'up') this.env.onModuleRestart(c);
    return 'up';
  }
}
