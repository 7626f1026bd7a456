// errd, process monitoring (SAFEKIT-BEHAVIOUR §5.10): every polltimer, count the processes of each
// <proc> whose class is active (prim/both/pre/second/sec follow the module's state; a custom class
// runs once `tandem errd enable CLASS` switched it on), by command name (or nameregex) and argregex;
// fewer than atleast, or atmax or more, is a failure: "Process NAME not running" in the module log,
// then the action (restart | stopstart | stop) with identity errd, or nothing (noaction). After a
// failure a process is watched again when its class starts again.
//
// Only processes in this node's network namespace count, so that nodes sharing a kernel (the lab)
// never see each other's processes. A service (service="yes") counts 1 when its service manager
// says it runs (services.ts). Any other action names a handler program the runtime runs.

import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import type { ProcCheck, WhenClass } from '../shared/config.js';
import { serviceStatus, type ServiceStatus } from './services.js';

const STANDARD_CLASSES = new Set(['prim', 'both', 'pre', 'second', 'sec']);
/** The actions errd asks of the module; any other value of `action` is a handler program. */
export const ERRD_ACTIONS = new Set(['restart', 'stopstart', 'stop', 'noaction']);

export interface ProcessInfo { readonly comm: string; readonly args: string }

/** The processes of this network namespace (comm and the full argument list). */
export function listProcesses(): ProcessInfo[] {
  let myNet = '';
  try { myNet = readlinkSync('/proc/self/ns/net'); } catch { /* no /proc/self/ns: count them all */ }
  const out: ProcessInfo[] = [];
  for (const pid of readdirSync('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    try {
      if (myNet && readlinkSync(`/proc/${pid}/ns/net`) !== myNet) continue;
      const comm = readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
      const args = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean).join(' ');
      out.push({ comm, args });
    } catch { /* the process ended while we looked */ }
  }
  return out;
}

/** listProcesses in a worker thread (process-scan-worker.ts), started at the first scan. */
export class ProcessScanner {
  private worker: Worker | null = null;
  private readonly waiting: ((list: ProcessInfo[]) => void)[] = [];

  scan(): Promise<ProcessInfo[]> {
    if (!this.worker) {
      this.worker = new Worker(new URL('./process-scan-worker.js', import.meta.url));
      this.worker.on('message', (list: ProcessInfo[]) => this.waiting.shift()?.(list));
      this.worker.unref();
    }
    return new Promise((resolve) => {
      this.waiting.push(resolve);
      this.worker!.postMessage('scan');
    });
  }

  stop(): void {
    void this.worker?.terminate();
    this.worker = null;
    for (const w of this.waiting.splice(0)) w([]);
  }
}

export function countMatching(p: ProcCheck, processes: readonly ProcessInfo[]): number {
  const name = p.nameregex ? new RegExp(p.nameregex) : null;
  const args = p.argregex ? new RegExp(p.argregex) : null;
  return processes.filter((x) => (name ? name.test(x.comm) : x.comm === p.name.slice(0, 15)) && (!args || args.test(x.args))).length;
}

export function failing(p: ProcCheck, count: number): boolean {
  return (p.atleast !== -1 && count < p.atleast) || (p.atmax !== -1 && count >= p.atmax);
}

export class ErrdRunner {
  private timer: NodeJS.Timeout | null = null;
  private active: readonly WhenClass[] = [];
  private enabled = true;
  private customOn = new Set<string>();
  /** Per proc: polls still to skip (start_after), or 'failed' until its class restarts. */
  private readonly waiting = new Map<string, number | 'failed'>();
  private polling = false;

  constructor(
    private readonly procs: readonly ProcCheck[],
    private readonly pollMs: number,
    private readonly onFailure: (p: ProcCheck, message: string) => void,
    private readonly scanner: { scan(): Promise<ProcessInfo[]>; stop(): void } = new ProcessScanner(),
    private readonly service: (name: string) => Promise<ServiceStatus> = serviceStatus,
  ) {}

  /** The classes the module announced active, the errd on|off switch and the enabled custom classes. */
  update(active: readonly WhenClass[], enabled: boolean, customOn: ReadonlySet<string>): void {
    const was = new Set(this.procs.filter((p) => this.isActive(p)));
    this.active = active;
    this.enabled = enabled;
    this.customOn = new Set(customOn);
    for (const p of this.procs) if (this.isActive(p) && !was.has(p)) this.waiting.set(p.name, Math.max(0, p.startAfter - 1));
    const any = this.procs.some((p) => this.isActive(p));
    if (any && !this.timer) this.timer = setInterval(() => void this.poll(), this.pollMs);
    if (!any && this.timer) { clearInterval(this.timer); this.timer = null; }
  }

  /** Watch `name` again, from the next poll but one (its action has been carried out). */
  rearm(name: string): void {
    if (this.waiting.get(name) === 'failed') this.waiting.set(name, 1);
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.scanner.stop();
  }

  private isActive(p: ProcCheck): boolean {
    return this.enabled && (STANDARD_CLASSES.has(p.cls) ? this.active.includes(p.cls as WhenClass) : this.customOn.has(p.cls));
  }

  private async poll(): Promise<void> {
    if (this.polling) return; // a slow service manager: skip a beat rather than pile up
    this.polling = true;
    try {
      const processes = this.procs.some((p) => !p.service && this.isActive(p)) ? await this.scanner.scan() : [];
      if (!this.timer) return; // stopped meanwhile: a scan cut short says nothing
      for (const p of this.procs) {
        if (!this.isActive(p)) continue;
        const w = this.waiting.get(p.name);
        if (w === 'failed') continue;
        if (typeof w === 'number' && w > 0) { this.waiting.set(p.name, w - 1); continue; }
        let count: number;
        let how = '';
        if (p.service) {
          const status = await this.service(p.name);
          count = status.running ? 1 : 0;
          how = ` (asked ${status.how})`;
        } else count = countMatching(p, processes);
        if (!failing(p, count) || !this.isActive(p)) continue;
        this.waiting.set(p.name, 'failed');
        const what = p.service ? 'Service' : 'Process';
        this.onFailure(p, count < p.atleast ? `${what} ${p.name} not running${how}` : `${what} ${p.name}: ${count} running, atmax is ${p.atmax}${how}`);
      }
    } finally {
      this.polling = false;
    }
  }
}
