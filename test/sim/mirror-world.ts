// A simulated two-node mirror: the real core (stepMirror) on each node, a simulated network and
// clock, crashes and restarts, scripts and resynchronisations that take time, and a client whose
// acknowledged writes are recorded so that data loss can be proved, not guessed.

import { SimWorld, type SimNodeBase } from './world.js';
import type { Action, PersistedData } from '../../src/core/actions.js';
import { FRESH_DATA, initialMirror, stepMirror } from '../../src/core/mirror/machine.js';
import type { MirrorCommand, MirrorEvent, MirrorHeartbeat, MirrorNode, MirrorSettings } from '../../src/core/mirror/types.js';
import type { FailoverRule } from '../../src/shared/rules.js';
import type { WhenClass } from '../../src/shared/config.js';

/** The fast timing profile used by scenarios and the simulator (DESIGN §9). */
export const FAST = { pulseMs: 100, timeoutMs: 600, periodMs: 200, handleTimeMs: 600, tickMs: 100, scriptMs: 20, resyncMs: 300 };

export interface MirrorWorldOptions {
  readonly nodes?: readonly [string, string];
  readonly seed?: number;
  readonly heartbeats?: readonly string[];
  readonly failover?: boolean;
  readonly defaultprim?: string;
  readonly rules?: readonly FailoverRule[];
  readonly checkerResources?: readonly { resource: string; when: WhenClass }[];
  readonly maxloop?: number;
  readonly loopIntervalMs?: number;
  readonly replicated?: boolean;
  /**
   * A splitbrain checker: the nodes that reach the witness (see `witness` in scenarios), or
   * 'unless-isolated': every live node that `isolate` has not cut off from the network.
   */
  readonly witness?: readonly string[] | 'unless-isolated';
  /** Also trace the core's actions (`n1 > persist …`), to show their order in scenario files. */
  readonly traceActions?: boolean;
}

type Item =
  | { kind: 'event'; node: string; incarnation: number; event: MirrorEvent }
  | { kind: 'tick'; node: string; incarnation: number }
  | { kind: 'resync'; node: string; incarnation: number; mode: string };

export interface SimNode extends SimNodeBase {
  machine: MirrorNode;
  /** What the store holds: the last persisted data (durable at once in the simulation). */
  store: PersistedData;
  vip: boolean;
  /** 'held': the replication stream to the secondary broke; the primary's replicator answers no
   * change until its module confirms the primary role again (a 'replication primary' action). */
  replication: 'primary' | 'secondary' | 'none' | 'held';
  /** Write ids this node's copy holds. */
  data: Set<number>;
  /** The copy is being rewritten by a resync (or was, when the node crashed): not usable. */
  rewriting: boolean;
  /** Writes saved aside by a divergent resync (never silently discarded). */
  savedAside: Set<number>;
  scriptOk: (script: string) => boolean;
  lastResult: { ok: boolean; message: string } | null;
}

export interface Ack {
  readonly id: number;
  readonly node: string;
  readonly at: number;
  /** The acknowledging node's data generation at the time. */
  readonly gen: string | null;
  /**
   * Acknowledged by a node running alone in a lineage that later overlapped with the other node
   * also running alone (a split-brain episode): it may be missing from the other side until the
   * episode heals, when it is kept or saved aside.
   */
  duringSplitBrain: boolean;
}

export class MirrorWorld extends SimWorld<SimNode, Item> {
  readonly acks: Ack[] = [];
  splitBrainEpisodes = 0;
  /** Lineages written alone during a split-brain episode: their writes may sit on one side only. */
  readonly splitGenerations = new Set<string>();
  private inSplitBrain = false;
  private nextWrite = 1;
  readonly settings: Map<string, MirrorSettings> = new Map();
  constructor(readonly options: MirrorWorldOptions = {}) {
    super(options.seed ?? 1);
    const [a, b] = options.nodes ?? ['n1', 'n2'];
    for (const [me, peer] of [[a, b], [b, a]] as const) {
      const settings: MirrorSettings = {
        node: me, peer,
        heartbeats: (options.heartbeats ?? ['default']).map((ident) => ({ ident, pulseMs: FAST.pulseMs, timeoutMs: FAST.timeoutMs })),
        replicated: options.replicated ?? true,
        defaultprim: options.defaultprim ?? 'alone',
        maxloop: options.maxloop ?? 3,
        loopIntervalMs: options.loopIntervalMs ?? 86_400_000,
        rules: options.rules ?? [],
        periodMs: FAST.periodMs,
        handleTimeMs: FAST.handleTimeMs,
        splitbrain: options.witness !== undefined,
        checkerResources: options.checkerResources ?? [],
      };
      this.settings.set(me, settings);
      const store: PersistedData = { ...FRESH_DATA, settings: { ...FRESH_DATA.settings, failover: options.failover ?? true } };
      const node: SimNode = {
        name: me, alive: true, incarnation: 1, machine: initialMirror(settings, store, 1), store,
        vip: false, replication: 'none', data: new Set(), rewriting: false, savedAside: new Set(), scriptOk: () => true, lastResult: null,
      };
      this.nodes.set(me, node);
      this.queue.push(this.rng.int(FAST.tickMs), { kind: 'tick', node: me, incarnation: 1 });
    }
  }

  peerOf(name: string): SimNode {
    return this.node(this.settings.get(name)!.peer);
  }

  command(name: string, command: MirrorCommand, by = 'root', identity?: string): void {
    this.deliver(name, { type: 'command', now: this.now, command, by, identity });
  }

  resource(name: string, resource: string, value: string, by: string): void {
    this.deliver(name, { type: 'resource', now: this.now, name: resource, value, by });
  }

  /**
   * The outside truth a checker on this node would find (a router that answers or not). A checker
   * reports only while its class runs; when its class starts again it reports the truth at once,
   * as the runtime's checker runner will.
   */
  checkerTruth(name: string, resource: string, value: string): void {
    this.truth.set(`${name}:${resource}`, value);
    const when = this.options.checkerResources?.find((c) => c.resource === resource)?.when;
    if (when && this.activeClasses.get(name)?.includes(when)) this.resource(name, resource, value, 'checker');
  }

  private readonly truth = new Map<string, string>();
  private readonly activeClasses = new Map<string, readonly string[]>();

  /** The primary's replication stream to its secondary broke (the heartbeats may still flow). */
  secondaryLost(name: string): void {
    this.deliver(name, { type: 'secondaryLost', now: this.now });
  }

  /**
   * The replication stream of a replicating pair breaks while the heartbeats go on (a connection
   * reset, a sendtimeout): the primary's replicator holds the changes and reports secondaryLost.
   */
  breakReplication(): void {
    const p = [...this.nodes.values()].find((n) => n.alive && n.machine.state === 'PRIM' && n.replication === 'primary');
    const peer = p && this.peerOf(p.name);
    // only a live stream: during a resync the replicator holds nothing (the resync just fails)
    if (!p || !peer || peer.replication !== 'secondary' || peer.rewriting || peer.machine.state !== 'SECOND' || peer.machine.qualifier !== 'Ready') return;
    p.replication = 'held';
    this.streamBroken = true;
    this.trace.push(`${p.name} | sim | - | replication stream broken`);
    this.secondaryLost(p.name);
  }

  /** The stream broke (breakReplication) and no resynchronisation has started a new one since. */
  private streamBroken = false;

  /** Nodes cut off from the whole network (the peer and the witness), as the lab's link down does. */
  private readonly isolated = new Set<string>();

  /** The replication stream crosses the same network: it breaks too (the primary holds its changes). */
  isolate(name: string, hold: boolean): void {
    this.isolated.add(name);
    this.net.partition(name, this.peerOf(name).name, hold);
    this.breakReplication();
  }

  /** Every cut ends, isolations too. */
  heal(): void {
    this.isolated.clear();
    this.net.heal();
  }


  crash(name: string): void {
    const n = this.node(name);
    if (!n.alive) return;
    n.alive = false;
    n.vip = false;
    n.replication = 'none';
    this.activeClasses.delete(name);
    this.trace.push(`${name} | sim | - | crashed`);
  }

  /** A restarted runtime: new incarnation, state from the store, STOP. */
  boot(name: string): void {
    const n = this.node(name);
    if (n.alive) return;
    n.alive = true;
    n.incarnation += 1;
    n.machine = initialMirror(this.settings.get(name)!, n.store, n.incarnation);
    this.queue.push(this.now + 1, { kind: 'tick', node: name, incarnation: n.incarnation });
    this.trace.push(`${name} | sim | - | booted`);
  }

  protected handle(n: SimNode, item: Item): void {
    if (item.kind === 'resync') this.completeResync(n, item.mode);
    else if (item.kind === 'tick') {
      this.deliver(n.name, { type: 'tick', now: this.now });
      this.queue.push(this.now + FAST.tickMs, { kind: 'tick', node: n.name, incarnation: n.incarnation });
    } else this.deliver(n.name, { ...item.event, now: this.now } as MirrorEvent);
  }

  /** Serves as primary, its replicator with the primary role: the client sends its writes there. */
  private serving(n: SimNode): boolean {
    // ALONE answers as soon as its replicator has the primary role, scripts running or not
    return n.alive && n.machine.dataRole === 'primary' && (n.machine.qualifier === 'Ready' || n.machine.state === 'ALONE') && n.replication === 'primary';
  }

  /** Its changes reach its live secondary. */
  private replicating(n: SimNode): boolean {
    const peer = this.peerOf(n.name);
    return peer.alive && peer.replication === 'secondary' && this.net.connected(n.name, peer.name) && !this.streamBroken;
  }

  /** A write sent to `n` now would be acknowledged (write() acknowledges exactly these). */
  answersWrites(n: SimNode): boolean {
    return this.serving(n) && (n.machine.state !== 'PRIM' || this.replicating(n)); // PRIM is synchronous: without its secondary it blocks
  }

  /** The client writes once to whichever node serves as primary; the write is acknowledged per the replication mode. */
  write(): Ack | null {
    const primaries = [...this.nodes.values()].filter((n) => this.serving(n));
    if (primaries.length === 0) return null;
    const p = primaries[this.rng.int(primaries.length)];
    const id = this.nextWrite++;
    const peer = this.peerOf(p.name);
    const replicating = this.replicating(p);
    if (!this.answersWrites(p)) return null;
    p.data.add(id);
    if (replicating) peer.data.add(id);
    const gen = p.machine.data.generation.current;
    const ack: Ack = { id, node: p.name, at: this.now, gen, duringSplitBrain: this.inSplitBrain || (gen !== null && this.splitGenerations.has(gen)) };
    this.acks.push(ack);
    return ack;
  }

  private deliver(name: string, event: MirrorEvent): void {
    const n = this.node(name);
    if (!n.alive) return;
    const wasPrimary = n.machine.dataRole === 'primary';
    const genBefore = n.machine.data.generation.current;
    const { state, actions } = stepMirror(n.machine, event);
    n.machine = state;
    for (const a of actions) this.execute(n, a);
    if (n.machine.dataRole === 'primary' && (!wasPrimary || n.machine.data.generation.current !== genBefore)) this.becamePrimary(n, wasPrimary);
    const both = [...this.nodes.values()].every((x) => x.alive && x.machine.dataRole === 'primary');
    if (both && !this.inSplitBrain) {
      this.splitBrainEpisodes++;
      for (const x of this.nodes.values()) if (x.machine.state === 'ALONE' && x.machine.data.generation.current) this.splitGenerations.add(x.machine.data.generation.current);
      for (const a of this.acks) if (a.gen && this.splitGenerations.has(a.gen)) a.duringSplitBrain = true;
    }
    this.inSplitBrain = both;
  }

  /**
   * Both sides running alone is SafeKit's split brain. Besides both being primary at once, it
   * happens without overlap: a node goes alone believing its peer dead while the peer runs on
   * (a false detection), and later the peer, never having heard, takes over too. Such lineages
   * are recorded so the checks can tell them from a stale takeover the core could have avoided.
   */
  private becamePrimary(n: SimNode, wasPrimary: boolean): void {
    const peer = this.peerOf(n.name);
    const gen = n.machine.data.generation.current;
    const peerRunning = peer.alive && peer.machine.state !== 'STOP' && peer.machine.state !== 'WAIT';
    // a primary that lost its stream while its secondary still hears it (PRIM → ALONE, a new
    // generation) is not a second lineage: the secondary knows, and must not take over
    const lostStream = wasPrimary && peer.machine.dataRole === 'secondary' && this.net.connected(n.name, peer.name);
    if (gen && n.machine.state === 'ALONE' && peerRunning && peer.machine.dataRole !== 'none' && !lostStream) this.splitGenerations.add(gen);
    const peerGen = peer.machine.data.generation.current;
    if (peerGen && this.splitGenerations.has(peerGen) && peerGen !== gen) {
      this.splitBrainEpisodes++;
      if (gen) this.splitGenerations.add(gen);
    }
    for (const a of this.acks) if (a.gen && this.splitGenerations.has(a.gen)) a.duringSplitBrain = true;
  }

  private execute(n: SimNode, a: Action): void {
    if (this.options.traceActions) {
      const shown = describeAction(a);
      if (shown) this.trace.push(`${n.name} > ${shown}`);
    }
    switch (a.type) {
      case 'log':
        if (a.level !== 'D' && a.level !== 'I') this.trace.push(`${n.name} | ${a.component} | ${a.level} | ${a.text}`);
        break;
      case 'persist':
        // primforce: the operator declares a copy that stopped mid-resync valid (DESIGN §5)
        if (n.store.reintegrating && !a.data.reintegrating) n.rewriting = false;
        n.store = a.data;
        break;
      case 'sendHeartbeat': {
        const peer = this.peerOf(n.name);
        for (const ident of a.idents) {
          this.net.send(n.name, peer.name, (delay) => {
            this.queue.push(this.now + delay, { kind: 'event', node: peer.name, incarnation: peer.incarnation, event: { type: 'heartbeat', now: 0, ident, message: a.message as MirrorHeartbeat } });
          });
        }
        break;
      }
      case 'runScripts': {
        for (const s of a.scripts) this.trace.push(`${n.name} | userplug | S | Script ${s.script} ${s.args.join(' ')}`);
        const ok = a.scripts.every((s) => n.scriptOk(s.script));
        this.queue.push(this.now + FAST.scriptMs * Math.max(1, a.scripts.length), { kind: 'event', node: n.name, incarnation: n.incarnation, event: { type: 'scriptsDone', now: 0, batch: a.batch, ok } });
        break;
      }
      case 'addVip':
        n.vip = true;
        this.trace.push(`${n.name} | vipplug | E | Virtual IP 10.0.0.100 set`);
        break;
      case 'removeVip':
        n.vip = false;
        break;
      case 'setReplication':
        n.replication = a.role;
        break;
      case 'startResync': {
        // A divergent resync saves this copy's own changes aside first, before anything is overwritten.
        const source = this.peerOf(n.name);
        if (a.mode === 'divergent' && !n.rewriting) for (const id of n.data) if (!source.data.has(id)) n.savedAside.add(id);
        n.rewriting = true;
        this.streamBroken = false; // the secondary's resync opens a new stream
        this.queue.push(this.now + FAST.resyncMs, { kind: 'resync', node: n.name, incarnation: n.incarnation, mode: a.mode });
        break;
      }
      case 'commandResult':
        n.lastResult = { ok: a.ok, message: a.message };
        if (!a.ok) this.trace.push(`${n.name} | cli | - | refused: ${a.message}`);
        break;
      case 'checkers': {
        const before = this.activeClasses.get(n.name) ?? [];
        this.activeClasses.set(n.name, a.active);
        for (const c of this.options.checkerResources ?? []) {
          const value = this.truth.get(`${n.name}:${c.resource}`);
          if (value !== undefined && a.active.includes(c.when) && !before.includes(c.when)) {
            this.queue.push(this.now + 10, { kind: 'event', node: n.name, incarnation: n.incarnation, event: { type: 'resource', now: 0, name: c.resource, value, by: 'checker' } });
          }
        }
        break;
      }
      case 'checkWitness': {
        // the witness answers the nodes that reach it, after a ping's round trip
        const w = this.options.witness;
        const value = (w === 'unless-isolated' ? !this.isolated.has(n.name) : w?.includes(n.name)) ? 'up' : 'down';
        this.queue.push(this.now + 50, { kind: 'event', node: n.name, incarnation: n.incarnation, event: { type: 'resource', now: 0, name: 'splitbrain.uptodate', value, by: 'splitbraincheck' } });
        break;
      }
      case 'setResource':
      case 'setBuckets':
        break;
    }
  }

  private completeResync(n: SimNode, _mode: string): void {
    const source = this.peerOf(n.name);
    const ok = source.alive && !source.rewriting && this.net.connected(n.name, source.name) && source.machine.dataRole === 'primary';
    if (ok) {
      n.data = new Set(source.data);
      n.rewriting = false;
    }
    this.deliver(n.name, { type: 'resyncDone', now: this.now, ok, generation: ok ? source.store.generation : undefined });
  }
}

/** The actions a scenario shows with actions=yes; logs, scripts and heartbeats have their own lines. */
function describeAction(a: Action): string | null {
  switch (a.type) {
    case 'persist': return `persist generation ${a.data.generation.current ?? 'untrusted'}${a.data.uptodate ? ' uptodate' : ''}${a.data.reintegrating ? ' reintegrating' : ''}${a.data.tentative ? ' tentative' : ''} last-role ${a.data.lastRole}${a.data.seedNext ? ` seed ${a.data.seedNext.uid}` : ''}`;
    case 'addVip': return 'add VIP';
    case 'removeVip': return 'remove VIP';
    case 'setReplication': return `replication ${a.role}`;
    case 'startResync': return `resync ${a.mode}${a.seed ? ` ${a.seed.uid}${a.seed.check ? '' : ' unchecked'}` : ''}`;
    case 'recordSeed': return `record every change for external synchronization ${a.uid}`;
    case 'checkers': return `checkers [${a.active.join(' ')}]`;
    case 'checkWitness': return 'ask the witness';
    default: return null;
  }
}
