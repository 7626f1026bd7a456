// The mirror module's state machine: step(state, event) → { state, actions }.
// States, qualifiers and log lines follow SAFEKIT-BEHAVIOUR §2 and §10.2; who may be primary
// follows DESIGN §5 (decide.ts); transitions and their safety order live in transitions.ts.

import { formatState } from '../../shared/states.js';
import { UNTRUSTED_GENERATION } from '../../shared/generation.js';
import type { Action, PersistedData } from '../actions.js';
import { INITIAL_RULES_STATE } from '../rules/engine.js';
import { EMPTY_LOOP } from '../rules/maxloop.js';
import { Step } from './builder.js';
import type { MirrorEvent, MirrorHeartbeat, MirrorNode, MirrorSettings } from './types.js';
import { preferredPrimary, resyncMode, relationToPeer, splitBrainSurvivor } from './decide.js';
import { peerHeardCurrentState, sendHeartbeat } from './heartbeat.js';
import { decide } from './start.js';
import { afterLeft, aloneToPrim, fullsyncDone, demoteAloneToSecond, enterAlone, enterSecond, finishResync, leave, nextGeneration, swapDemote, swapPromote } from './transitions.js';
import { runCommand, startModule } from './commands.js';
import { applyRules } from './rules.js';

export interface StepResult {
  readonly state: MirrorNode;
  readonly actions: readonly Action[];
}

export const FRESH_DATA: PersistedData = {
  generation: UNTRUSTED_GENERATION, uptodate: false, lastRole: 'none', aloneFrom: null, reintegrating: false, genSeq: 0,
  fullsyncPeer: false, settings: { failover: true, errd: true, checker: true },
};

/** A module runtime starting: STOP (NotReady), with what the store kept. */
export function initialMirror(settings: MirrorSettings, data: PersistedData, incarnation: number): MirrorNode {
  const heartbeats: MirrorNode['heartbeats'] = Object.fromEntries(settings.heartbeats.map((h) => [h.ident, { up: false, lastAt: null, seen: null }]));
  const resources: Record<string, string> = {
    'state.local': 'STOP NotReady', 'state.remote': 'UNKNOWN Unknown',
    'usersetting.failover': data.settings.failover ? 'on' : 'off',
    'usersetting.errd': data.settings.errd ? 'on' : 'off',
    'usersetting.checker': data.settings.checker ? 'on' : 'off',
    'rfs.uptodate': data.uptodate ? 'up' : 'down',
    'rfs.degraded': 'down', // never up: no degraded mode (docs/decisions/0011-no-degraded-mode.md)
  };
  for (const h of settings.heartbeats) resources[`heartbeat.${h.ident}`] = 'down';
  // the witness is asked only when every heartbeat is lost; until then nothing holds the start
  if (settings.splitbrain) resources['splitbrain.uptodate'] = 'up';
  for (const c of settings.checkerResources) resources[c.resource] = 'init';
  return {
    settings, incarnation, state: 'STOP', qualifier: 'NotReady', dataRole: 'none', data, pending: null, batch: 0,
    deciding: false, decidingSince: 0, heldBy: null, resyncing: null, aloneFrom: null, swapRequest: false, handoff: false,
    peer: null, heartbeats, resources, clusterPeerVisible: false, rules: INITIAL_RULES_STATE, loop: EMPTY_LOOP, seq: 0, sentState: null, unheard: null,
    lastPulseAt: null, remoteLogged: 'UNKNOWN Unknown', activeCheckers: '', splitLogged: false, witnessAsked: false, queued: null, intent: null, resyncRetryAt: 0, claimSeq: null, primaryMayStartAlone: true, changesHeld: false,
  };
}

export function stepMirror(state: MirrorNode, event: MirrorEvent): StepResult {
  const b = new Step(state, event.now);
  switch (event.type) {
    case 'tick': onTick(b); break;
    case 'heartbeat': onHeartbeat(b, event.ident, event.message); break;
    case 'command': runCommand(b, event.command, event.by, event.identity); break;
    case 'scriptsDone': onScriptsDone(b, event.batch, event.ok); break;
    case 'resyncDone':
      if (b.s.resyncing !== null && b.s.state === 'SECOND') finishResync(b, b.s.peer?.message ?? null, event.ok, event.generation);
      break;
    case 'secondaryLost': onSecondaryLost(b); break;
    case 'resource': onResource(b, event.name, event.value, event.by); break;
    case 'cluster': b.set({ clusterPeerVisible: event.peerVisible }); break;
  }
  reconcile(b);
  return { state: b.s, actions: b.actions };
}

function onTick(b: Step): void {
  const now = b.now;
  let anyUpBefore = false;
  let anyUpAfter = false;
  const heartbeats = { ...b.s.heartbeats };
  for (const h of b.s.settings.heartbeats) {
    const hb = heartbeats[h.ident];
    anyUpBefore ||= hb.up;
    if (hb.up && hb.lastAt !== null && now - hb.lastAt > h.timeoutMs) {
      heartbeats[h.ident] = { ...hb, up: false };
      b.set({ heartbeats });
      b.resource(`heartbeat.${h.ident}`, 'down', 'heart');
    }
    anyUpAfter ||= heartbeats[h.ident].up;
  }
  if (anyUpBefore && !anyUpAfter) b.set({ peer: null });
  const pulse = Math.min(...b.s.settings.heartbeats.map((h) => h.pulseMs));
  if (b.s.lastPulseAt === null || now - b.s.lastPulseAt >= pulse) sendHeartbeat(b);
  applyRules(b, false);
}

function onHeartbeat(b: Step, ident: string, m: MirrorHeartbeat): void {
  const s = b.s;
  const hb = s.heartbeats[ident];
  if (!hb || m.from !== s.settings.peer) return; // not ours: a misconfigured or foreign sender
  // Each heartbeat drops reordered messages; a restarted peer comes back with a higher incarnation
  // and is accepted at once. The same message again is the peer's pulse, repeated by its heartbeat
  // thread while its main thread is held up (the transport drops the network's duplicates and
  // replays before they get here): the peer is alive, its view unchanged.
  const older = hb.seen !== null && (m.incarnation < hb.seen.incarnation || (m.incarnation === hb.seen.incarnation && m.seq < hb.seen.seq));
  if (older) return;
  b.set({ heartbeats: { ...s.heartbeats, [ident]: { up: true, lastAt: b.now, seen: { incarnation: m.incarnation, seq: m.seq } } } });
  if (!hb.up) b.resource(`heartbeat.${ident}`, 'up', 'heart');
  // The peer's view follows the newest message over all heartbeats.
  const last = s.peer?.message;
  if (!last || m.incarnation > last.incarnation || (m.incarnation === last.incarnation && m.seq > last.seq)) {
    b.set({ peer: { message: m, at: b.now } });
    if (m.dataRole === 'primary') b.set({ primaryMayStartAlone: m.data.uptodate });
  }
}

function logRemote(b: Step): void {
  const m = b.s.peer?.message;
  const text = m ? formatState(m.state, m.qualifier) : 'UNKNOWN Unknown';
  if (text === b.s.remoteLogged) return;
  b.set({ remoteLogged: text });
  b.log('E', `Remote state ${text}`);
  b.resource('state.remote', text, 'heart', true);
}

function onScriptsDone(b: Step, batch: number, ok: boolean): void {
  const pending = b.s.pending;
  if (!pending || pending.batch !== batch) return; // a batch abandoned by forcestop
  b.set({ pending: null });
  if (!ok) b.log('E', 'A module script failed; see its userlog', 'userplug');
  const then = pending.then;
  switch (then.kind) {
    case 'started':
      b.set({ deciding: true, decidingSince: b.now });
      b.updateCheckers();
      break;
    case 'entered':
      b.state(then.state, 'Ready');
      break;
    case 'restarted':
      b.state(b.s.state, 'Ready');
      break;
    case 'left':
      afterLeft(b, then.then, pending.cause);
      break;
    case 'stopped': {
      b.set({ intent: null, witnessAsked: false });
      b.state('STOP', 'NotReady');
      // a witness verdict belongs to one loss of the peer: the next start asks again if needed
      if (b.s.settings.splitbrain && b.s.resources['splitbrain.uptodate'] !== 'up') b.resource('splitbrain.uptodate', 'up', 'heart', true);
      if (then.restartAfter) {
        b.log('U', 'Action start called automatically');
        startModule(b);
      }
      break;
    }
    case 'demoted':
      if (then.resync === null) {
        // swap: we are SECOND already in data terms; wait in SECOND (Ready) for the peer to take over
        b.push({ type: 'setReplication', role: 'secondary' });
        b.set({ handoff: true });
        b.state('SECOND', 'Ready');
      } else enterSecond(b, then.resync, false);
      break;
  }
  const queued = b.s.queued;
  if (queued && b.s.pending === null) {
    b.set({ queued: null });
    runCommand(b, queued.command, queued.by, queued.identity);
  }
}

/**
 * The live secondary is gone from the replication stream (the heartbeats may still be here): the
 * changes in flight wait, and are answered only once a new generation is durable (DESIGN §5), so
 * the secondary can never take over believing it holds them.
 */
/**
 * The stream to the secondary broke; the heartbeats may still flow. A new generation is made durable
 * first, but the changes held meanwhile are answered only once the secondary knows its copy is
 * behind (releaseHeldChanges): answered earlier, they would be lost if this node died before the
 * secondary heard of the new generation, for it would take over believing its copy current. Until
 * then the generation is tentative (PersistedData): should this node die holding, the peer's later
 * takeover is not mistaken for a divergence — nothing was answered here.
 */
function onSecondaryLost(b: Step): void {
  if (b.s.dataRole !== 'primary') return;
  b.log('E', 'Replication to the secondary lost: continuing alone', 'nfsadmin');
  if (b.s.state === 'PRIM' && b.s.pending === null) enterAlone(b, 'PRIM', true);
  else b.persist({ ...nextGeneration(b), uptodate: false, tentative: true });
  b.set({ changesHeld: true });
}

/** See onSecondaryLost: the held changes go once the peer's heartbeat shows it cannot take over
 * with its copy as current, or once the peer is lost (heartbeats down) and, with a split-brain
 * witness, the witness has let this node go on alone. */
function releaseHeldChanges(b: Step, peer: MirrorHeartbeat | null): void {
  const s = b.s;
  if (!s.changesHeld) return;
  // Without a witness, losing the peer releases them (both may then run alone: SafeKit's split
  // brain). With one, only its "up" does: it lets one side alone go on, so the other never takes
  // over without changes answered here.
  const lostAndMayGoOn = peer === null && (!s.settings.splitbrain || (s.witnessAsked && s.resources['splitbrain.uptodate'] === 'up'));
  const knowsBehind = lostAndMayGoOn || (peer !== null && (peer.data.reintegrating || peer.data.generation.current === s.data.generation.current
    || (peer.dataRole !== 'secondary' && !peer.data.uptodate)));
  if (s.dataRole !== 'primary') { b.set({ changesHeld: false }); return; }
  if (!knowsBehind) return;
  b.set({ changesHeld: false });
  b.persist({ tentative: false, uptodate: true }); // before the first answer under the new generation
  b.log('I', `${peer === null ? 'The secondary is lost' : 'The secondary knows its copy is behind'}: the changes held since the replication broke are answered`, 'nfsadmin');
  b.push({ type: 'setReplication', role: 'primary' });
}

function onResource(b: Step, name: string, value: string, by: string): void {
  if (name === 'splitbrain.uptodate' && by === 'splitbraincheck' && !b.s.witnessAsked) {
    b.log('I', `Witness answer ${value} ignored: the heartbeats came back before it`, 'splitbrain');
    return;
  }
  // connection counts and reintegration progress change all the time: kept, not logged
  b.resource(name, value, by, name.startsWith('connections.') || name === 'rfs.reintegration');
  if (name === 'rfs.uptodate' && value === 'up' && !b.s.data.uptodate) b.persist({ uptodate: true });
}

/**
 * Another node leads, or is about to (its claim we do not beat): from now on this copy must not
 * start alone, because the other will write without us. Persisted before our next heartbeat, which
 * is what the claimant waits for (start.ts claimed()).
 */
function releaseRightToStartAlone(b: Step, peer: MirrorHeartbeat | null): void {
  const s = b.s;
  if (!s.data.uptodate || s.dataRole === 'primary' || peer === null) return;
  const iWin = s.claimSeq !== null && preferredPrimary(s.settings, s.data, peer) === s.settings.node;
  if (peer.dataRole === 'primary' || (peer.claim && !iWin)) b.persist({ uptodate: false });
}

/** After every event: follow the peer (failover, join, split-brain recovery, swap) and decide. */
function reconcile(b: Step): void {
  logRemote(b);
  const peer = b.s.peer?.message ?? null;
  if (peer !== null && b.s.witnessAsked) {
    // a heartbeat came back: the loss the witness was asked about is over
    b.set({ witnessAsked: false });
    if (b.s.resources['splitbrain.uptodate'] !== 'up') b.resource('splitbrain.uptodate', 'up', 'heart');
  }
  releaseRightToStartAlone(b, peer);
  releaseHeldChanges(b, peer);
  const s = b.s;
  if (s.pending !== null) return;
  switch (s.state) {
    case 'SECOND':
      if (s.handoff) {
        // We handed the primary role over (swap) and wait for the peer to take it.
        if (peer !== null && peer.state === 'SECOND' && peer.dataRole === 'secondary') break;
        b.set({ handoff: false });
        if (peer !== null && peer.dataRole === 'primary') break; // taken over: an ordinary secondary now
        // The peer left before taking over: the swap is abandoned and our copy is the current one.
      }
      if (peer !== null && peer.handoff && peer.dataRole === 'secondary' && s.qualifier === 'Ready') { swapPromote(b); break; }
      if (peer !== null && peer.dataRole === 'primary' && s.settings.replicated && s.resyncing === null
        && peer.data.generation.current !== s.data.generation.current) {
        // The primary wrote alone since we last synchronised (it lost us for a while): our copy is
        // behind. Resynchronise now; until then we cannot take over.
        b.log('E', `Primary ${peer.from} wrote alone since the last synchronization: resynchronizing`, 'reintegre');
        enterSecond(b, resyncMode(relationToPeer(s.settings, s.data, peer.data), peer.data.fullsyncPeer || !!s.data.fullsyncNext), s.qualifier !== 'Ready');
        break;
      }
      if (peer !== null && peer.dataRole === 'primary') {
        if (s.settings.defaultprim === s.settings.node && !s.swapRequest && s.qualifier === 'Ready' && peer.state === 'PRIM' && peer.qualifier === 'Ready') {
          b.log('E', 'Transition SWAP from defaultprim');
          b.set({ swapRequest: true });
        }
        break;
      }
      // The primary stopped (we still hear it: "remote stop") or vanished ("no heartbeat").
      if (peer === null || peer.dataRole === 'none') secondLostPrimary(b, peer !== null);
      break;
    case 'PRIM':
      if (peer === null || peer.dataRole !== 'secondary') {
        if (peer !== null && peer.dataRole === 'primary') { splitBrain(b, peer); break; }
        if (peer === null && !witnessAllowsAlone(b)) break;
        enterAlone(b, 'PRIM');
        break;
      }
      if (peer.data.generation.current === s.data.generation.current && !peer.data.reintegrating && (s.data.uptodate || s.data.fullsyncPeer)) {
        // The secondary holds our data now and may take over: from here on we must not start
        // alone. It takes over only once it has seen this confirmation (secondLostPrimary).
        b.persist({ uptodate: false, fullsyncPeer: false, fullsyncNext: false });
        fullsyncDone(b);
      }
      if ((s.swapRequest || peer.swapRequest) && s.qualifier === 'Ready' && peer.qualifier === 'Ready') swapDemote(b);
      break;
    case 'ALONE':
      if (peer === null) {
        if (s.splitLogged) b.set({ splitLogged: false });
        // alone since the stream broke, the changes held: the peer may take over, the witness decides
        if (s.changesHeld) witnessAllowsAlone(b);
        break;
      }
      if (peer.dataRole === 'primary') splitBrain(b, peer);
      // a secondary that has not yet seen our new generation is not reintegrating yet: wait for it
      else if (peer.dataRole === 'secondary' && peer.state === 'SECOND' && !peer.handoff
        && (!s.settings.replicated || peer.data.reintegrating || peer.data.generation.current === s.data.generation.current)) aloneToPrim(b);
      break;
    case 'WAIT':
      if (s.deciding) decide(b);
      break;
    default:
      break;
  }
}

function secondLostPrimary(b: Step, cleanStop: boolean): void {
  const s = b.s;
  if (s.settings.replicated && s.primaryMayStartAlone) {
    // The primary never confirmed it gave up starting alone: if we took over now, it could later
    // restart alone on its older copy. Wait for it instead (or for an operator's prim).
    b.log('C', 'The primary had not confirmed the last synchronization: this node does not take over', 'nfsadmin');
    b.push({ type: 'setReplication', role: 'none' });
    b.set({ resyncing: null, dataRole: 'none', deciding: true, decidingSince: b.now, heldBy: 'rfs_notuptodate_server' });
    b.state('WAIT', 'NotReady');
    return;
  }
  if (s.qualifier !== 'Ready' || s.resyncing !== null) {
    b.log('C', 'Data may be inconsistent for replicated directories (stopped during reintegration)', 'nfsadmin');
    b.push({ type: 'setReplication', role: 'none' });
    b.set({ resyncing: null, dataRole: 'none', deciding: true, decidingSince: b.now, heldBy: 'rfs_notuptodate_server' });
    b.state('WAIT', 'NotReady');
    return;
  }
  if (!s.data.settings.failover) {
    b.log('E', 'Failover-off configured');
    b.log('U', 'Action stopstart called by failover-off');
    b.log('E', 'Transition STOPSTART from failover-off');
    b.set({ heldBy: 'failover-off' });
    b.scripts(
      [{ script: 'stop_sec', args: ['SECOND', 'WAIT', 'stopwait'] }, { script: 'stop_second', args: ['SECOND', 'WAIT', 'stopwait'] }, { script: 'stop_both', args: ['SECOND', 'WAIT', 'stopwait'] }, { script: 'transition', args: ['SECOND', 'WAIT', 'stopwait'] }],
      { kind: 'left', then: 'wait' }, 'stopwait');
    b.state('SECOND', 'Transient');
    return;
  }
  if (!cleanStop && !witnessAllowsAlone(b)) return;
  b.log('U', `Action alone called by heart: ${cleanStop ? 'remote stop' : 'no heartbeat'}`);
  enterAlone(b, 'SECOND');
}

/**
 * With a <splitbrain> checker, a node that lost every heartbeat goes ALONE only once a witness
 * answered it (SAFEKIT-BEHAVIOUR §2.5): it asks, keeps its role meanwhile, and when no witness
 * answers it leaves its role for WAIT at once — not after the rule's stability delay, which would
 * leave two primaries running that long — and stays there until a heartbeat comes back.
 */
function witnessAllowsAlone(b: Step): boolean {
  const s = b.s;
  if (!s.settings.splitbrain) return true;
  if (!s.witnessAsked) {
    b.set({ witnessAsked: true });
    b.resource('splitbrain.uptodate', 'init', 'heart', true);
    b.log('E', 'Every heartbeat is lost: asking the split-brain witness before going alone', 'splitbrain');
    b.push({ type: 'checkWitness' });
    return false;
  }
  const verdict = s.resources['splitbrain.uptodate'];
  if (verdict === 'up') return true;
  if (verdict === 'down' && s.pending === null) {
    b.log('C', 'Action wait from failover rule splitbrain_failure');
    b.log('E', 'Transition WAIT_TR from failover rule splitbrain_failure');
    b.set({ heldBy: 'splitbrain_failure' });
    leave(b, 'wait', 'stopwait');
  }
  return false;
}

function splitBrain(b: Step, peer: MirrorHeartbeat): void {
  const s = b.s;
  if (!peerHeardCurrentState(s, peer)) return; // maybe an old heartbeat: wait for one that answers ours
  const survivor = splitBrainSurvivor(s.settings, { state: s.state, aloneFrom: s.aloneFrom, data: s.data }, peer);
  if (survivor === s.settings.node) {
    if (!s.splitLogged) { b.log('E', 'Split brain recovery: staying alone'); b.set({ splitLogged: true }); }
    return;
  }
  b.log('E', 'Split brain recovery: exiting alone');
  b.log('C', `Data written on ${s.settings.node} while it ran alone is saved aside before resynchronisation`, 'reintegre');
  demoteAloneToSecond(b, 'divergent');
}
