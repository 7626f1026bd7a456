// A simulated farm of 1–5 nodes running the real core (stepFarm), with the same network model as
// the mirror world, and the checks a farm must pass: every bucket owned exactly once by the
// serving nodes once their views agree.

import { SimWorld, type SimNodeBase } from './world.js';
import type { Action } from '../../src/core/actions.js';
import { initialFarm, stepFarm } from '../../src/core/farm/machine.js';
import { BUCKETS, bitmapWords } from '../../src/core/farm/buckets.js';
import type { FarmCommand, FarmEvent, FarmNode, FarmPulse, FarmSettings } from '../../src/core/farm/types.js';
import { FAST } from './mirror-world.js';

type Item = { node: string; incarnation: number; event: FarmEvent | null };

export interface FarmSimNode extends SimNodeBase {
  machine: FarmNode;
  vip: boolean;
  buckets: Map<string, readonly number[]>;
  /** The same buckets as a bit set, for fast overlap checks. */
  bits: Map<string, bigint>;
}

export class FarmWorld extends SimWorld<FarmSimNode, Item> {
  readonly settings = new Map<string, FarmSettings>();

  constructor(names: readonly string[], kv: Record<string, string> = {}, seed = 1) {
    super(seed);
    const powers = Object.fromEntries((kv.power ?? '').split(',').filter(Boolean).map((p) => p.split(':')).map(([n, w]) => [n, Number(w)]));
    const hosts = Object.keys(powers).length ? names.map((name) => ({ name, power: powers[name] ?? 1 })) : [];
    for (const name of names) {
      const settings: FarmSettings = {
        node: name, nodes: names, groups: [{ name: kv.group ?? 'FarmProto', hosts }], pulseMs: FAST.pulseMs, lostCount: 6,
        rules: [], periodMs: FAST.periodMs, handleTimeMs: FAST.handleTimeMs, maxloop: 3, loopIntervalMs: 86_400_000, checkerResources: [],
      };
      this.settings.set(name, settings);
      this.nodes.set(name, { name, alive: true, incarnation: 1, machine: initialFarm(settings, 1), vip: false, buckets: new Map(), bits: new Map() });
      this.queue.push(this.rng.int(FAST.tickMs), { node: name, incarnation: 1, event: null });
    }
  }

  command(name: string, command: FarmCommand, identity?: string): void {
    this.deliver(name, { type: 'command', now: this.now, command, by: 'root', identity });
  }

  crash(name: string): void {
    const n = this.node(name);
    n.alive = false; n.vip = false; n.buckets = new Map(); n.bits = new Map();
    this.trace.push(`${name} | sim | - | crashed`);
  }

  boot(name: string): void {
    const n = this.node(name);
    if (n.alive) return;
    n.alive = true; n.incarnation++;
    n.machine = initialFarm(this.settings.get(name)!, n.incarnation);
    this.queue.push(this.now + 1, { node: name, incarnation: n.incarnation, event: null });
    this.trace.push(`${name} | sim | - | booted`);
  }

  protected handle(n: FarmSimNode, item: Item): void {
    if (item.event === null) {
      this.deliver(n.name, { type: 'tick', now: this.now });
      this.queue.push(this.now + FAST.tickMs, { node: n.name, incarnation: n.incarnation, event: null });
    } else this.deliver(n.name, { ...item.event, now: this.now } as FarmEvent);
  }

  partitioned(): boolean {
    const live = [...this.nodes.values()].filter((n) => n.alive);
    return live.some((a) => live.some((b) => !this.net.connected(a.name, b.name)));
  }

  /** Serving nodes agree on the view: then every bucket must be owned exactly once. */
  bucketProblem(): string | null {
    const serving = [...this.nodes.values()].filter((n) => n.alive && n.machine.serving);
    if (serving.length === 0) return null;
    const names = serving.map((n) => n.name).sort().join(' ');
    if (!serving.every((n) => n.machine.view.join(' ') === names)) return null; // views still converging
    if (serving.some((n) => serving.some((m) => !this.net.connected(n.name, m.name)))) return null; // partitioned: each side owns all
    for (const group of this.settings.values().next().value!.groups) {
      const count = new Array<number>(BUCKETS).fill(0);
      for (const n of serving) for (const b of n.buckets.get(group.name) ?? []) count[b]++;
      const bad = count.findIndex((c) => c !== 1);
      if (bad >= 0) return `bucket ${bad} of group ${group.name} is owned ${count[bad]} times by [${names}]`;
    }
    return null;
  }

  exec(verb: string, args: string[], kv: Record<string, string>): string[] {
    switch (verb) {
      case 'start': case 'stop': case 'restart': case 'stopstart': case 'forcestop':
        args.forEach((n) => this.command(n, { kind: verb }, kv.i));
        return [];
      case 'crash': args.forEach((n) => this.crash(n)); return [];
      case 'boot': args.forEach((n) => this.boot(n)); return [];
      case 'partition': this.net.partition(args[0], args[1]); return [`partition ${args[0]} ${args[1]}`];
      case 'heal': this.net.heal(); return ['healed'];
      case 'state': return [...this.nodes.values()].map((n) => `${n.name} ${n.alive ? `${n.machine.state} ${n.machine.qualifier}` : 'DOWN'}${n.vip ? ' vip' : ''}`);
      case 'buckets': return [...this.nodes.values()].map((n) => {
        const owned = n.buckets.get('FarmProto') ?? [];
        return `${n.name} ${owned.length}/256 ${bitmapWords(owned)}`;
      }).concat([this.partitioned() ? 'partitioned: each side serves the buckets of its own view' : this.bucketProblem() ?? 'every bucket owned exactly once']);
      default: throw new Error(`unknown farm scenario command "${verb}"`);
    }
  }

  private deliver(name: string, event: FarmEvent): void {
    const n = this.node(name);
    if (!n.alive) return;
    const { state, actions } = stepFarm(n.machine, event);
    n.machine = state;
    for (const a of actions) this.execute(n, a);
  }

  private execute(n: FarmSimNode, a: Action): void {
    switch (a.type) {
      case 'log': if (a.level !== 'D' && a.level !== 'I') this.trace.push(`${n.name} | ${a.component} | ${a.level} | ${a.text}`); break;
      case 'sendHeartbeat':
        for (const peer of this.nodes.values()) {
          if (peer.name === n.name) continue;
          this.net.send(n.name, peer.name, (d) => this.queue.push(this.now + d, { node: peer.name, incarnation: peer.incarnation, event: { type: 'pulse', now: 0, message: a.message as FarmPulse } }));
        }
        break;
      case 'runScripts':
        for (const s of a.scripts) this.trace.push(`${n.name} | userplug | S | Script ${s.script} ${s.args.join(' ')}`);
        this.queue.push(this.now + FAST.scriptMs * a.scripts.length, { node: n.name, incarnation: n.incarnation, event: { type: 'scriptsDone', now: 0, batch: a.batch, ok: true } });
        break;
      case 'addVip': n.vip = true; break;
      case 'removeVip': n.vip = false; break;
      case 'setBuckets':
        n.buckets.set(a.group, a.owned);
        n.bits.set(a.group, a.owned.reduce((acc, b) => acc | (1n << BigInt(b)), 0n));
        break;
      default: break;
    }
  }
}
