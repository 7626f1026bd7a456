// The farm module's state machine (SAFEKIT-BEHAVIOUR §3): STOP → WAIT → UP on every node, a
// membership of the serving nodes from pulses, and the bucket map: the leader (the smallest name
// in the view) rebalances from its current map; the others adopt the leader's map once their view
// equals the leader's, so at steady state every bucket is owned exactly once. A light module is a
// farm of one node.

import type { Action } from '../actions.js';
import type { WhenClass } from '../../shared/config.js';
import { evaluateRules, INITIAL_RULES_STATE } from '../rules/engine.js';
import { countRecovery, EMPTY_LOOP } from '../rules/maxloop.js';
import { finalStopScripts, restartScripts, transitionScripts, type ScriptCause } from '../scripts.js';
import { Step as BaseStep } from '../step.js';
import { BUCKETS, NO_BUCKETS, bucketList, fromBits, ownerSets, rebalance, toBits, type BucketSet, type Member } from './buckets.js';
import type { FarmCommand, FarmContinuation, FarmEvent, FarmNode, FarmPulse, FarmSettings, VersionedMap } from './types.js';

class Step extends BaseStep<FarmNode['state'], FarmContinuation, FarmNode> {
  constructor(s: FarmNode, now: number) {
    super(s, now, { active: activeClasses, resources: (x) => x.settings.checkerResources }, 'vipd');
  }
}

function activeClasses(s: FarmNode): WhenClass[] {
  if (!s.settingsOn.checker || s.state === 'STOP') return [];
  return s.state === 'UP' && s.qualifier === 'Ready' ? ['pre', 'both'] : ['pre'];
}

export function initialFarm(settings: FarmSettings, incarnation: number): FarmNode {
  const resources: Record<string, string> = { 'state.local': 'STOP NotReady', 'usersetting.errd': 'on', 'usersetting.checker': 'on' };
  for (const c of settings.checkerResources) resources[c.resource] = 'init';
  settings.groups.forEach((g, i) => { resources[`${g.name}_${i}`] = '0%'; });
  return {
    settings, incarnation, state: 'STOP', qualifier: 'NotReady', resources, batch: 0, pending: null, activeCheckers: '',
    serving: false, deciding: false, heldBy: null, peers: {}, heard: {}, admitFrom: {}, view: [], maps: {}, owned: {}, claims: {}, settingsOn: { errd: true, checker: true },
    rules: INITIAL_RULES_STATE, loop: EMPTY_LOOP, seq: 0, lastPulseAt: null, queued: null,
  };
}

export function stepFarm(state: FarmNode, event: FarmEvent): { state: FarmNode; actions: readonly Action[] } {
  const b = new Step(state, event.now);
  switch (event.type) {
    case 'tick': onTick(b); break;
    case 'pulse': onPulse(b, event.message); break;
    case 'command': runCommand(b, event.command, event.by, event.identity); break;
    case 'scriptsDone': onScriptsDone(b, event.batch); break;
    case 'resource': b.resource(event.name, event.value, event.by); break;
  }
  updateMembership(b);
  if (b.s.state === 'WAIT' && b.s.deciding && b.s.pending === null && b.s.heldBy === null) enterUp(b);
  if (event.type === 'tick') sendPulse(b);
  return { state: b.s, actions: b.actions };
}

function lostAfter(s: FarmNode): number {
  return s.settings.pulseMs * s.settings.lostCount;
}

function onTick(b: Step): void {
  const peers = { ...b.s.peers };
  const admitFrom = { ...b.s.admitFrom };
  for (const [name, p] of Object.entries(peers)) {
    if (b.now - p.at > lostAfter(b.s)) {
      delete peers[name];
      admitFrom[name] = b.s.seq + 1;
      b.log('I', `Lost contact from ${name}`);
    }
  }
  b.set({ peers, admitFrom });
  applyRules(b);
}

/** Sent after the membership update of the same step, so it carries what this node serves now. */
function sendPulse(b: Step): void {
  if (b.s.settings.nodes.length < 2 || (b.s.lastPulseAt !== null && b.now - b.s.lastPulseAt < b.s.settings.pulseMs)) return;
  const message: FarmPulse = { from: b.s.settings.node, incarnation: b.s.incarnation, seq: b.s.seq + 1, serving: b.s.serving, view: b.s.view, maps: b.s.maps, claims: b.s.claims, heard: b.s.heard };
  b.set({ seq: b.s.seq + 1, lastPulseAt: b.now });
  b.push({ type: 'sendHeartbeat', idents: ['farm'], message });
}

/**
 * A peer out of contact comes (back) into contact only with a pulse that acknowledges one of ours
 * sent since we lost it. Its earlier pulses may be seconds old — a network that was cut can hold
 * them and deliver them all when it heals — and show the buckets it served before the cut, not
 * the ones it took while alone: counted, they would let two nodes that see each other serve the
 * same bucket (the simulator's held partitions found it).
 */
function onPulse(b: Step, m: FarmPulse): void {
  const s = b.s;
  if (m.from === s.settings.node || !s.settings.nodes.includes(m.from)) return;
  const last = s.heard[m.from];
  if (last && (m.incarnation < last.incarnation || (m.incarnation === last.incarnation && m.seq <= last.seq))) return;
  b.set({ heard: { ...s.heard, [m.from]: { incarnation: m.incarnation, seq: m.seq } } });
  const ack = m.heard[s.settings.node];
  const current = ack !== undefined && ack.incarnation === s.incarnation && ack.seq >= (s.admitFrom[m.from] ?? 1);
  if (s.peers[m.from] || current) b.set({ peers: { ...s.peers, [m.from]: { at: b.now, message: m } } });
}

function membersOf(s: FarmNode, group: FarmSettings['groups'][number], view: readonly string[]): Member[] {
  if (group.hosts.length === 0) return view.map((name) => ({ name, power: 1 }));
  return group.hosts.filter((h) => view.includes(h.name));
}

/**
 * Recompute the view; the leader rebalances its map under a new version (higher than any version
 * seen), the others adopt the leader's map when their view equals the leader's and its version is
 * newer. A node keeps serving the buckets its map still gives it and no peer in view serves (two
 * nodes that served the same bucket before they saw each other both let it go); it takes a new
 * bucket only when every peer in view has pulsed the same map version and none serves it. Versions are
 * totally ordered, so two nodes cannot both see agreement on maps that give one bucket to each:
 * a bucket is never served twice by nodes that see each other.
 */
function updateMembership(b: Step): void {
  const s = b.s;
  const me = s.settings.node;
  const view = [...(s.serving ? [me] : []), ...Object.entries(s.peers).filter(([, p]) => p.message.serving).map(([n]) => n)].sort();
  const viewChanged = view.join(' ') !== s.view.join(' ');
  const leader = view[0];
  const maps: Record<string, VersionedMap> = { ...s.maps };
  for (const g of s.settings.groups) {
    const current = s.maps[g.name];
    if (leader === me || leader === undefined) {
      // Re-issue under a fresh version when the map changes, or when a peer in view holds a newer
      // version (from a time it led its own partition): followers only adopt newer versions.
      // With an unchanged view the current map is already balanced for it: nothing to compute.
      const peerNewer = view.some((p) => p !== me && s.peers[p] && s.peers[p].message.maps[g.name] && newer(s.peers[p].message.maps[g.name], current));
      if (!viewChanged && current && !peerNewer) continue;
      const owners = rebalance(current?.owners ?? null, membersOf(s, g, view));
      if (peerNewer || owners.join(',') !== (current?.owners ?? []).join(',')) {
        const seen = Math.max(current?.version ?? 0, ...Object.values(s.peers).map((p) => p.message.maps[g.name]?.version ?? 0));
        maps[g.name] = { version: seen + 1, by: me, owners, sets: ownerSets(owners) };
      }
    } else {
      const lp = s.peers[leader]?.message;
      const offered = lp?.maps[g.name];
      if (lp && offered && lp.view.join(' ') === view.join(' ') && newer(offered, current)) maps[g.name] = offered;
    }
  }
  b.set({ view, maps });
  s.settings.groups.forEach((g, i) => {
    if (viewChanged && view.length > 0) b.log('E', `farm membership: ${view.join(' ')} (group ${g.name}_${i})`);
    const map = b.s.maps[g.name];
    const mine = b.s.serving && map ? servedBuckets(s, g.name, map, view) : NO_BUCKETS;
    if (mine === (s.claims[g.name] ?? NO_BUCKETS)) return;
    const owned = bucketList(mine);
    if ((b.s.owned[g.name] ?? -1) !== owned.length) {
      b.log('E', `farm load: ${owned.length}/${BUCKETS} (group ${g.name}_${i})`);
      b.resource(`${g.name}_${i}`, `${Math.round((owned.length * 100) / BUCKETS)}%`, 'vipd', true);
      b.set({ owned: { ...b.s.owned, [g.name]: owned.length } });
    }
    b.set({ claims: { ...b.s.claims, [g.name]: mine } });
    b.push({ type: 'setBuckets', group: g.name, owned });
  });
}

function newer(a: VersionedMap, b: VersionedMap | undefined): boolean {
  return !b || a.version > b.version || (a.version === b.version && a.by < b.by);
}

function servedBuckets(s: FarmNode, group: string, map: VersionedMap, view: readonly string[]): BucketSet {
  const me = s.settings.node;
  let elsewhere = 0n;
  let agreed = true;
  for (const p of view) {
    const m = p === me ? undefined : s.peers[p]?.message;
    if (!m) continue;
    elsewhere |= toBits(m.claims[group] ?? NO_BUCKETS);
    const theirs = m.maps[group];
    agreed &&= theirs?.version === map.version && theirs?.by === map.by;
  }
  const assigned = toBits(map.sets[me] ?? NO_BUCKETS);
  const kept = agreed ? assigned : assigned & toBits(s.claims[group] ?? NO_BUCKETS);
  return fromBits(kept & ~elsewhere);
}

function enterUp(b: Step): void {
  b.set({ deciding: false, serving: true });
  b.push({ type: 'addVip' });
  b.state('UP', 'Transient');
  b.scripts(transitionScripts('WAIT', 'UP', 'start'), { kind: 'up' }, 'start');
}

function leave(b: Step, then: 'stop' | 'wait' | 'stopstart', cause: ScriptCause): void {
  if (b.s.state === 'UP') {
    b.state('UP', 'Transient');
    b.scripts(transitionScripts('UP', 'WAIT', cause), { kind: 'left', then }, cause);
  } else if (then === 'wait') hold(b);
  else finalStop(b, then === 'stopstart', cause);
}

function hold(b: Step): void {
  b.set({ deciding: true });
  b.state('WAIT', 'NotReady');
}

function finalStop(b: Step, restartAfter: boolean, cause: ScriptCause): void {
  b.set({ deciding: false, serving: false });
  b.state('WAIT', 'Transient');
  b.scripts(finalStopScripts('farm', cause), { kind: 'stopped', restartAfter }, cause);
}

function start(b: Step): void {
  b.set({ deciding: false, heldBy: null });
  b.state('WAIT', 'Transient');
  b.scripts(transitionScripts('STOP', 'WAIT', 'start'), { kind: 'started' }, 'start');
}

function onScriptsDone(b: Step, batch: number): void {
  const p = b.s.pending;
  if (!p || p.batch !== batch) return;
  b.set({ pending: null });
  switch (p.then.kind) {
    case 'started': b.set({ deciding: true }); b.updateCheckers(); break;
    case 'up': case 'restarted': b.state('UP', 'Ready'); break;
    case 'left':
      b.set({ serving: false });
      b.push({ type: 'removeVip' });
      if (p.then.then === 'wait') hold(b);
      else finalStop(b, p.then.then === 'stopstart', p.cause);
      break;
    case 'stopped':
      b.state('STOP', 'NotReady');
      if (p.then.restartAfter) { b.log('U', 'Action start called automatically'); start(b); }
      break;
  }
  const q = b.s.queued;
  if (q && b.s.pending === null) { b.set({ queued: null }); runCommand(b, q.command, q.by, q.identity); }
}

function counted(b: Step): boolean {
  const { loop, exceeded } = countRecovery(b.s.loop, b.now, b.s.settings.maxloop, b.s.settings.loopIntervalMs);
  b.set({ loop });
  if (!exceeded) return true;
  b.log('C', 'Action stop called by maxloop');
  leave(b, 'stop', 'stop');
  return false;
}

function runCommand(b: Step, c: FarmCommand, by: string, identity?: string): void {
  const s = b.s;
  if (c.kind === 'loop') return b.loopCommand(c.op, identity ?? by);
  if (s.pending !== null && c.kind !== 'forcestop') { b.set({ queued: { command: c, by, identity } }); return; }
  const label = c.kind === 'setting' ? `${c.setting} ${c.on ? 'on' : 'off'}` : c.kind;
  b.log('U', `Action ${label} called by ${identity ?? by}`);
  if (identity === undefined) b.set({ loop: EMPTY_LOOP });
  const result = (ok: boolean, message: string): void => b.push({ type: 'commandResult', ok, message });
  switch (c.kind) {
    case 'start': if (s.state !== 'STOP') return result(false, `already started (state ${s.state})`); start(b); return result(true, 'starting');
    case 'stop': case 'shutdown': if (s.state === 'STOP') return result(true, 'already stopped'); leave(b, 'stop', 'stop'); return result(true, 'stopping');
    case 'forcestop':
      if (s.state === 'STOP') return result(true, 'already stopped');
      if (s.serving) b.push({ type: 'removeVip' });
      b.set({ pending: null, queued: null });
      finalStop(b, false, 'stop');
      return result(true, 'force-stopping');
    case 'restart':
      if (s.state !== 'UP' || s.qualifier !== 'Ready') return result(false, `restart needs UP (Ready); the module is ${s.state} (${s.qualifier})`);
      if (identity !== undefined && !counted(b)) return result(false, 'stopped by maxloop');
      b.state('UP', 'Transient');
      b.scripts(restartScripts('UP'), { kind: 'restarted' }, 'start');
      return result(true, 'restarting');
    case 'stopstart':
      if (s.state === 'STOP') return result(false, 'the module is stopped; use start');
      if (identity !== undefined && !counted(b)) return result(false, 'stopped by maxloop');
      leave(b, 'stopstart', 'stopstart');
      return result(true, 'stopping, then starting');
    case 'setting':
      b.set({ settingsOn: { ...s.settingsOn, [c.setting]: c.on } });
      b.resource(`usersetting.${c.setting}`, c.on ? 'on' : 'off', identity ?? by, true);
      b.updateCheckers();
      return result(true, label);
  }
}

function applyRules(b: Step): void {
  const s = b.s;
  if (s.pending !== null || s.state === 'STOP') return;
  const ev = evaluateRules(s.settings.rules, { local: s.resources, remote: null, clusterPeerVisible: true }, b.now, s.rules, s.settings.periodMs, s.settings.handleTimeMs);
  if (!ev.evaluated) return;
  b.set({ rules: ev.state });
  for (const a of ev.assignments) b.resource(a.resource, a.value, a.rule);
  if (s.state === 'WAIT') {
    if (!s.deciding) return;
    if (ev.waitRule) {
      if (s.heldBy !== ev.waitRule) { b.log('C', `Action wait from failover rule ${ev.waitRule}`); b.set({ heldBy: ev.waitRule }); }
      b.state('WAIT', 'NotReady');
    } else if (ev.waitOnInit) {
      b.set({ heldBy: 'init' });
    } else if (s.heldBy !== null) {
      if (s.heldBy !== 'init') b.log('E', 'Action wakeup from failover rule Implicit_wakeup');
      b.set({ heldBy: null });
    }
    return;
  }
  if (s.qualifier !== 'Ready' || !ev.fire || ev.fire.action === 'noaction' || ev.fire.action === 'swap') return;
  const { action, rule } = ev.fire;
  if (action !== 'stop' && !counted(b)) return;
  b.log('C', `Action ${action} from failover rule ${rule}`);
  if (action === 'wait') { b.log('E', `Transition WAIT_TR from failover rule ${rule}`); b.set({ heldBy: rule }); leave(b, 'wait', 'stopwait'); }
  else if (action === 'restart') { b.log('E', `Transition RESTART from failover rule ${rule}`); b.state('UP', 'Transient'); b.scripts(restartScripts('UP'), { kind: 'restarted' }, 'start'); }
  else if (action === 'stopstart') { b.log('E', `Transition STOPSTART from failover rule ${rule}`); leave(b, 'stopstart', 'stopstart'); }
  else leave(b, 'stop', 'stop');
}
