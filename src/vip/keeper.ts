// One mirror module's virtual IPs over time: resolved to devices once; set (added, announced at
// once, then every arpinterval for arpelapse where arpreroute="on") and unset (connections reset
// where tcpreset="on", then removed); a VIP a killed earlier run left behind removed at start; and,
// where connections="on", the established connections counted periodically while it is set.

import type { VipConfig } from '../shared/config.js';
import type { LogLevel } from '../store/store.js';
import { addVip, announce, countConnections, removeVip, resetConnections, vipAddresses, vipPresent, type VipAddress } from './mirror-vip.js';

interface Kept {
  readonly v: VipAddress;
  readonly reroute: { readonly intervalMs: number; readonly elapseMs: number } | null;
  readonly countConnections: boolean;
}

export class VipKeeper {
  private kept: Kept[] | null = null;
  private readonly timers: NodeJS.Timeout[] = [];

  constructor(
    private readonly config: VipConfig,
    private readonly module: string,
    private readonly log: (level: LogLevel, text: string) => void,
    /** connections.<VIP> values for the core. */
    private readonly report: (resource: string, value: string) => void,
    /** SafeKit counts every 10 s; the fast timing profile every second. */
    private readonly countEveryMs = 10_000,
  ) {}

  /** Removes what a previous run of the module left: a new module process is never primary. */
  async removeStale(): Promise<void> {
    for (const k of await this.resolve().catch(() => [])) {
      if (await vipPresent(k.v)) {
        await removeVip(k.v);
        this.log('E', `Virtual IP ${k.v.addr} removed: a previous run of the module left it on ${k.v.device}`);
      }
    }
  }

  async set(): Promise<void> {
    await this.each('set', async (k) => {
      await addVip(k.v, this.module);
      const onError = (m: string) => this.log('C', `Virtual IP ${k.v.addr} not announced: ${m}`);
      announce(k.v, 3, onError);
      if (k.reroute) {
        const { intervalMs, elapseMs } = k.reroute;
        const started = Date.now();
        const timer = setInterval(() => {
          if (Date.now() - started > elapseMs) clearInterval(timer);
          else announce(k.v, 1, onError);
        }, intervalMs);
        this.timers.push(timer);
      }
      if (k.countConnections) {
        const count = () => void countConnections(k.v).then((n) => this.report(`connections.${k.v.addr}`, String(n)), () => undefined);
        count();
        this.timers.push(setInterval(count, this.countEveryMs));
      }
    });
  }

  async unset(): Promise<void> {
    this.stopTimers();
    await this.each('unset', async (k) => {
      if (this.config.tcpreset) {
        const n = await resetConnections(k.v);
        if (n > 0) this.log('E', `Virtual IP ${k.v.addr}: ${n} TCP connection${n > 1 ? 's' : ''} reset (tcpreset)`);
      }
      await removeVip(k.v);
    });
  }

  stopTimers(): void {
    for (const t of this.timers.splice(0)) clearInterval(t);
  }

  private async resolve(): Promise<Kept[]> {
    if (this.kept) return this.kept;
    const out: Kept[] = [];
    for (const intf of this.config.interfaces) {
      // one resolved address per declared one, in the same order
      const resolved = await vipAddresses({ ...this.config, interfaces: [intf] });
      resolved.forEach((v, i) => out.push({
        v,
        reroute: intf.arpreroute ? { intervalMs: intf.arpintervalMs, elapseMs: intf.arpelapseMs } : null,
        countConnections: intf.addrs[i].connections,
      }));
    }
    this.kept = out;
    return out;
  }

  /** Each VIP in turn; one that fails is logged and the others are still done (an unset must not stop half-way). */
  private async each(verb: 'set' | 'unset', fn: (k: Kept) => Promise<void>): Promise<void> {
    let kept: Kept[];
    try {
      kept = await this.resolve();
    } catch (e) {
      this.log('C', `Virtual IP could not be ${verb}: ${(e as Error).message}`);
      return;
    }
    for (const k of kept) {
      try {
        await fn(k);
        this.log('E', `Virtual IP ${k.v.addr} ${verb}`);
      } catch (e) {
        this.log('C', `Virtual IP ${k.v.addr} could not be ${verb}: ${(e as Error).message}`);
      }
    }
  }
}
