// The seeded simulator: random schedules of crashes, restarts, partitions, packet loss, delay and
// duplication, and operator commands, run against the real core on simulated nodes. Invariants are
// checked after every step; every fault must end in a stable state once healed. A failing schedule
// reports its seed; `npm run sim -- --seed N --verbose` replays it with the full trace.

import { compareGenerations } from '../../src/shared/generation.js';
import { seededRng, type Rng } from '../../src/shared/ports.js';
import { MirrorWorld } from './mirror-world.js';
import { FarmWorld } from './farm-world.js';
import { quotas } from '../../src/core/farm/buckets.js';
import type { MirrorCommand } from '../../src/core/mirror/types.js';
import { parseRules } from '../../src/config/rules-parse.js';

export interface ScheduleResult {
  readonly seed: number;
  readonly kind: 'mirror' | 'farm';
  readonly violation: string | null;
  /** Both mirror nodes ran as primary at the same time (SafeKit's split brain without a witness). */
  readonly splitBrain: boolean;
  readonly steps: number;
  readonly trace: readonly string[];
}

class Violation extends Error {}

function pick<T>(rng: Rng, items: readonly T[]): T {
  return items[rng.int(items.length)];
}

export function runSchedule(seed: number): ScheduleResult {
  return seed % 4 === 3 ? runFarm(seed) : runMirror(seed);
}

export function runMirror(seed: number): ScheduleResult {
  const rng = seededRng(seed * 7919 + 1);
  // Half of the schedules also run checkers and failover rules: a `pre` ping checker that holds the
  // node in WAIT, and an application checker on the primary that restarts it (maxloop applies).
  const withRules = rng.int(2) === 0;
  // A third of them have a split-brain witness. Their faults are the ones a witness arbitrates: a
  // node cut off from the whole network, crashes; not a lossy link that both nodes still reach the
  // witness through (both then go alone, as SafeKit's do).
  const withWitness = rng.int(3) === 0;
  const w = new MirrorWorld({
    seed,
    ...(withWitness ? { witness: 'unless-isolated' as const } : {}),
    heartbeats: rng.int(2) === 0 ? ['default'] : ['default', 'flow'],
    defaultprim: pick(rng, ['alone', 'alone', 'n1', 'n2', 'lastprim']),
    ...(withRules ? { rules: SIM_RULES, checkerResources: [{ resource: 'ping.router', when: 'pre' as const }, { resource: 'tcp.app', when: 'prim' as const }] } : {}),
  });
  let steps = 0;
  w.onStep = (world) => { steps++; checkMirror(world); };
  try {
    w.command('n1', { kind: 'start' });
    w.command('n2', { kind: 'start' });
    w.run(1500);
    w.command('n1', { kind: 'prim', fullsync: false });
    w.run(500);
    w.command('n2', { kind: 'second', fullsync: false });
    w.run(1500);
    const actions = 6 + rng.int(14);
    for (let i = 0; i < actions; i++) {
      const node = pick(rng, ['n1', 'n2']);
      const r = rng.int(100);
      if (r < 12) w.crash(node);
      else if (r < 24) { w.boot(node); w.command(node, { kind: 'start' }); }
      else if (r < 32) { if (withWitness) w.isolate(node, rng.int(2) === 0); else w.net.partition('n1', 'n2', rng.int(2) === 0); }
      else if (r < 42) w.heal();
      else if (r < 50) { if (!withWitness) w.net.faults = { loss: rng.next() * 0.3, duplication: rng.next() * 0.2, minDelayMs: 1, maxDelayMs: 1 + rng.int(80) }; }
      else if (r < 80) w.command(node, randomCommand(rng), 'root');
      else if (withRules && r < 88) w.checkerTruth(node, pick(rng, ['ping.router', 'tcp.app']), pick(rng, ['up', 'up', 'down']));
      else if (r < 92) {
        w.breakReplication();
        // writes right after the break, and sometimes the primary's crash before a heartbeat told
        // the secondary of its new generation (the window in which answered writes could be lost)
        for (let k = 0; k < 3; k++) { w.run(1 + rng.int(15)); w.write(); }
        if (rng.int(2) === 0) w.crash(w.node('n1').machine.dataRole === 'primary' ? 'n1' : 'n2');
      }
      else for (let k = 0; k < 1 + rng.int(6); k++) w.write();
      w.run(50 + rng.int(2500));
      for (let k = 0; k < rng.int(3); k++) w.write();
    }
    // Heal everything and let it settle: every fault must end in a stable pair.
    w.heal();
    w.net.faults = { loss: 0, duplication: 0, minDelayMs: 1, maxDelayMs: 1 };
    for (const n of ['n1', 'n2']) {
      w.boot(n);
      w.command(n, { kind: 'setting', setting: 'failover', on: true });
      if (withRules) { w.checkerTruth(n, 'ping.router', 'up'); w.checkerTruth(n, 'tcp.app', 'up'); }
    }
    w.run(1500);
    for (const n of ['n1', 'n2']) if (w.node(n).machine.state === 'STOP') w.command(n, { kind: 'start' });
    w.run(8000);
    for (let k = 0; k < 3; k++) w.write();
    checkMirrorStable(w, withWitness);
    return { seed, kind: 'mirror', violation: null, splitBrain: w.splitBrainEpisodes > 0, steps, trace: w.trace };
  } catch (e) {
    if (!(e instanceof Violation)) throw e;
    return { seed, kind: 'mirror', violation: `t=${w.now}ms: ${e.message}`, splitBrain: w.splitBrainEpisodes > 0, steps, trace: w.trace };
  }
}

const SIM_RULES = parseRules('p_router: if (ping.router == down) then wait(); t_app: if (tcp.app == down) then restart();', { line: 1, col: 1 }).rules;

function randomCommand(rng: Rng): MirrorCommand {
  return pick<MirrorCommand>(rng, [
    { kind: 'start' }, { kind: 'start' }, { kind: 'stop' }, { kind: 'stopstart' }, { kind: 'restart' }, { kind: 'forcestop' },
    { kind: 'swap', nosync: false }, { kind: 'second', fullsync: rng.int(2) === 0 },
    { kind: 'setting', setting: 'failover', on: rng.int(3) > 0 }, { kind: 'setting', setting: 'checker', on: true },
  ]);
}

/** Checked after every simulated step. */
function checkMirror(w: MirrorWorld): void {
  const nodes = [...w.nodes.values()];
  const primaries = nodes.filter((n) => n.alive && n.machine.dataRole === 'primary' && (n.machine.state === 'ALONE' || n.machine.state === 'PRIM'));
  for (const p of primaries) {
    if (p.rewriting) throw new Violation(`${p.name} is primary with a half-written copy (stopped during a resync)`);
    const peer = w.peerOf(p.name);
    // While both run as primary (split brain) the one that has not yet noticed still writes on the
    // old lineage, which the other descends from: that is divergence, counted, not staleness.
    const peerSplit = peer.store.generation.current !== null && w.splitGenerations.has(peer.store.generation.current);
    if (primaries.length < 2 && !peerSplit && compareGenerations(p.store.generation, peer.store.generation) === 'behind') {
      throw new Violation(`${p.name} is primary with data behind its peer's (${p.store.generation.current} vs ${peer.store.generation.current})`);
    }
    for (const a of w.acks) {
      if (!a.duringSplitBrain && !(a.gen && w.splitGenerations.has(a.gen)) && !p.data.has(a.id)) throw new Violation(`${p.name} is primary without acknowledged write ${a.id} (acked by ${a.node} at ${a.at}ms)`);
    }
  }
  if (w.options.witness === 'unless-isolated') {
    // with a witness, two nodes may both hold the primary role for a moment (the cut-off one has
    // not yet heard the witness refuse), but never both answer writes
    const answering = nodes.filter((n) => w.answersWrites(n));
    if (answering.length > 1) throw new Violation(`with a witness, both ${answering.map((n) => n.name).join(' and ')} answer writes as primary`);
  }
  const vips = nodes.filter((n) => n.alive && n.vip);
  if (vips.length > 1 && primaries.length < 2) throw new Violation('two nodes hold the VIP outside a split-brain episode');
}

/** With a witness, no acknowledged write may end up saved aside: the cut-off node answered none. */
function checkMirrorStable(w: MirrorWorld, withWitness: boolean): void {
  const states = [...w.nodes.values()].map((n) => `${n.machine.state} ${n.machine.qualifier}`).sort();
  if (states.join(',') !== 'PRIM Ready,SECOND Ready') {
    throw new Violation(`not stable after healing: ${[...w.nodes.values()].map((n) => `${n.name} ${n.machine.state} ${n.machine.qualifier} held=${n.machine.heldBy}`).join(', ')}`);
  }
  const primary = [...w.nodes.values()].find((n) => n.machine.state === 'PRIM')!;
  const saved = new Set([...w.nodes.values()].flatMap((n) => [...n.savedAside]));
  for (const a of w.acks) {
    if (!primary.data.has(a.id) && !saved.has(a.id)) throw new Violation(`acknowledged write ${a.id} (by ${a.node} at ${a.at}ms) is neither on the primary nor saved aside`);
    if (withWitness && !primary.data.has(a.id)) throw new Violation(`with a witness, acknowledged write ${a.id} (by ${a.node} at ${a.at}ms) was saved aside, not kept`);
  }
  if ([...w.nodes.values()].filter((n) => n.vip).length !== 1) throw new Violation('the VIP is not held by exactly one node after healing');
}

export function runFarm(seed: number): ScheduleResult {
  const rng = seededRng(seed * 104729 + 7);
  const count = 2 + rng.int(4);
  const names = Array.from({ length: count }, (_, i) => `n${i + 1}`);
  const weighted = rng.int(2) === 0;
  const kv: Record<string, string> = weighted ? { power: names.map((n) => `${n}:${1 + rng.int(4)}`).join(',') } : {};
  const w = new FarmWorld(names, kv, seed);
  let steps = 0;
  w.onStep = (world) => { steps++; checkFarm(world); };
  try {
    for (const n of names) w.command(n, { kind: 'start' });
    w.run(1500);
    const actions = 5 + rng.int(12);
    for (let i = 0; i < actions; i++) {
      const node = pick(rng, names);
      const r = rng.int(100);
      if (r < 15) w.crash(node);
      else if (r < 30) { w.boot(node); w.command(node, { kind: 'start' }); }
      else if (r < 40) w.net.partition(node, pick(rng, names), rng.int(2) === 0);
      else if (r < 50) w.net.heal();
      else if (r < 58) w.net.faults = { loss: rng.next() * 0.3, duplication: rng.next() * 0.2, minDelayMs: 1, maxDelayMs: 1 + rng.int(60) };
      else w.command(node, pick(rng, [{ kind: 'start' }, { kind: 'stop' }, { kind: 'restart' }, { kind: 'stopstart' }, { kind: 'forcestop' }] as const));
      w.run(50 + rng.int(2000));
    }
    w.net.heal();
    w.net.faults = { loss: 0, duplication: 0, minDelayMs: 1, maxDelayMs: 1 };
    for (const n of names) w.boot(n);
    w.run(500);
    for (const n of names) if (w.node(n).machine.state === 'STOP') w.command(n, { kind: 'start' });
    w.run(5000);
    checkFarmStable(w, names);
    return { seed, kind: 'farm', violation: null, splitBrain: false, steps, trace: w.trace };
  } catch (e) {
    if (!(e instanceof Violation)) throw e;
    return { seed, kind: 'farm', violation: `t=${w.now}ms: ${e.message}`, splitBrain: false, steps, trace: w.trace };
  }
}

/** At every step: no bucket served twice by serving nodes that see each other. */
function checkFarm(w: FarmWorld): void {
  const serving = [...w.nodes.values()].filter((n) => n.alive && n.machine.serving);
  for (const a of serving) for (const b of serving) {
    if (a.name >= b.name || !w.net.connected(a.name, b.name)) continue;
    if (!a.machine.view.includes(b.name) || !b.machine.view.includes(a.name)) continue;
    const overlap = (a.bits.get('FarmProto') ?? 0n) & (b.bits.get('FarmProto') ?? 0n);
    if (overlap === 0n) continue;
    const both = overlap.toString(2).length - 1;
    throw new Violation(`bucket ${both} is served by both ${a.name} and ${b.name}, which see each other`);
  }
}

function checkFarmStable(w: FarmWorld, names: readonly string[]): void {
  const bad = names.filter((n) => `${w.node(n).machine.state} ${w.node(n).machine.qualifier}` !== 'UP Ready');
  if (bad.length) throw new Violation(`not stable after healing: ${bad.map((n) => `${n} ${w.node(n).machine.state} ${w.node(n).machine.qualifier}`).join(', ')}`);
  const problem = w.bucketProblem();
  if (problem) throw new Violation(`after healing: ${problem}`);
  const group = w.settings.get(names[0])!.groups[0];
  const q = quotas(group.hosts.length ? group.hosts : names.map((name) => ({ name, power: 1 })));
  for (const n of names) {
    const owned = w.node(n).buckets.get('FarmProto')?.length ?? 0;
    if (owned !== q.get(n)) throw new Violation(`after healing ${n} owns ${owned} buckets, its share is ${q.get(n)}`);
  }
}
