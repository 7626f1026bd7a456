// Runs a module's checkers (SAFEKIT-BEHAVIOUR §5.9): those whose `when` class the core announced
// active (the `checkers` action), at once and then every interval; each verdict becomes the
// checker's resource (up | down), reported only when it changes. Checkers of inactive classes stop,
// and the core resets their resources to init.
//
// In this version: intf (the interface of a VIP network is up) and ip (the VIP is present on this
// node), generated from <virtual_addr check="on">. The others (tcp, ping, custom, module,
// splitbrain, errd) come next; a module that configures them is refused start, with the reason.

import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { Checker, WhenClass } from '../shared/config.js';
import { deviceFor } from '../vip/mirror-vip.js';

const run = promisify(execFile);

export const SUPPORTED_CHECKERS: ReadonlySet<Checker['type']> = new Set(['intf', 'ip']);

type Verdict = 'up' | 'down';

async function check(c: Checker, prefix: number): Promise<Verdict> {
  if (c.type === 'intf') {
    const device = c.target.interface ?? await deviceFor(c.target.network ?? '', prefix);
    if (!device) return 'down';
    const { stdout } = await run('ip', ['-o', 'link', 'show', 'dev', device]);
    return /[<,]LOWER_UP[,>]/.test(stdout) && /[<,]UP[,>]/.test(stdout) ? 'up' : 'down';
  }
  const { stdout } = await run('ip', ['-o', '-4', 'addr', 'show']);
  return stdout.split('\n').some((l) => l.includes(` inet ${c.target.addr}/`)) ? 'up' : 'down';
}

export class CheckerRunner {
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private readonly last = new Map<string, Verdict>();

  constructor(
    private readonly checkers: readonly Checker[],
    private readonly report: (resource: string, value: Verdict, by: string) => void,
    /** The prefix length of the VIP networks, to find an interface by network address. */
    private readonly prefix = 24,
  ) {}

  /** Runs the checkers of the active classes (and `enabled`, the checker on|off switch); stops the others. */
  setActive(active: readonly WhenClass[], enabled: boolean): void {
    for (const c of this.checkers) {
      const on = enabled && SUPPORTED_CHECKERS.has(c.type) && active.includes(c.when);
      const running = this.timers.has(c.resource);
      if (on && !running) {
        this.last.delete(c.resource); // a class that starts again reports afresh (the core reset it to init)
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
  }

  private async once(c: Checker): Promise<void> {
    let verdict: Verdict;
    try { verdict = await check(c, this.prefix); } catch { verdict = 'down'; }
    if (!this.timers.has(c.resource) || this.last.get(c.resource) === verdict) return;
    this.last.set(c.resource, verdict);
    this.report(c.resource, verdict, `${c.type}check`);
  }
}
