// Who may be primary (DESIGN §5, SAFEKIT-BEHAVIOUR §2.3, §2.5). Pure functions of this node's
// persisted data and the peer's last heartbeat; both nodes compute the same answer from the same
// facts, so they never both choose primary while they can hear each other.

import { compareGenerations, type Generation, type GenerationRelation } from '../../shared/generation.js';
import type { PersistedData, ResyncMode } from '../actions.js';
import type { MirrorHeartbeat, MirrorSettings } from './types.js';

/**
 * notuptodate: the peer may hold newer data; untrusted: this copy was never synchronised since
 * configuration and a primary runs (the operator confirms with `second`, as in SafeKit);
 * divergent: both copies were written alone; inconsistent: stopped during a resync;
 * peer-busy: the peer is between states.
 */
export type WaitReason = 'notuptodate' | 'untrusted' | 'divergent' | 'inconsistent' | 'peer-busy';

export type StartDecision =
  | { readonly kind: 'alone' }
  | { readonly kind: 'second'; readonly mode: ResyncMode }
  | { readonly kind: 'wait'; readonly reason: WaitReason }
  /** Not enough information yet: keep waiting for the peer's heartbeat. */
  | { readonly kind: 'pending' };

/** The relation of my data to the peer's; a mirror without replication has no data to compare. */
export function relationToPeer(settings: MirrorSettings, mine: PersistedData, theirs: PersistedData): GenerationRelation {
  return settings.replicated ? compareGenerations(answeredGeneration(mine), answeredGeneration(theirs)) : 'equal';
}

/** The generation of the last change a copy answered: a tentative one counts as its predecessor. */
function answeredGeneration(data: PersistedData): Generation {
  const g = data.generation;
  if (!data.tentative || g.current === null) return g;
  return { current: g.history[0] ?? null, history: g.history.slice(1) };
}

/** How a secondary resynchronises from a primary, given how their data relate. */
export function resyncMode(relation: GenerationRelation, fullRequested: boolean, mineTrusted = true): ResyncMode {
  // Whenever our copy holds writes the primary may not have, they are saved aside first: nothing
  // acknowledged is silently discarded (DESIGN §5). Only an untrusted copy is simply overwritten.
  if (mineTrusted && (relation === 'divergent' || relation === 'ahead' || relation === 'unrelated')) return 'divergent';
  if (relation === 'unrelated' || fullRequested) return 'full';
  return 'zones';
}

/**
 * The start-up decision of a node in WAIT. `peer` is null while no heartbeat reaches us;
 * `peerWaitOver` says we have waited a full heartbeat timeout without hearing it.
 */
export function decideStart(settings: MirrorSettings, mine: PersistedData, peer: MirrorHeartbeat | null, peerWaitOver: boolean): StartDecision {
  const trusted = !settings.replicated || mine.generation.current !== null;
  if (peer === null) {
    if (!peerWaitOver) return { kind: 'pending' };
    if (mine.reintegrating) return { kind: 'wait', reason: 'inconsistent' };
    return trusted && (mine.uptodate || !settings.replicated) ? { kind: 'alone' } : { kind: 'wait', reason: 'notuptodate' };
  }
  const relation = relationToPeer(settings, mine, peer.data);
  if (peer.dataRole === 'primary') {
    if (peer.handoff) return { kind: 'pending' };
    if (!trusted) return { kind: 'wait', reason: 'untrusted' };
    return { kind: 'second', mode: resyncMode(relation, peer.data.fullsyncPeer || mine.reintegrating || !!mine.fullsyncNext, trusted) };
  }
  if (peer.dataRole === 'secondary') return { kind: 'wait', reason: 'peer-busy' }; // a transient view: wait for it to settle
  if (mine.reintegrating) return { kind: 'wait', reason: 'inconsistent' };
  if (!trusted) return { kind: 'wait', reason: 'notuptodate' };
  // A peer stopped half-way through a resync was copying from us (the only other node): our copy
  // is the reference, whatever its generation says; the peer's own writes were saved aside first.
  if (settings.replicated && peer.data.reintegrating) return { kind: 'alone' };
  switch (relation) {
    case 'behind': return { kind: 'wait', reason: 'notuptodate' };
    case 'divergent':
    case 'unrelated': {
      if (peer.data.generation.current === null) return { kind: 'alone' }; // the peer was never synchronised
      // Both copies were written alone. The same arbitration as a split-brain recovery picks the
      // copy to keep; the other node then resynchronises from it with its changes saved aside.
      const survivor = splitBrainSurvivor(settings, { state: 'WAIT', aloneFrom: mine.aloneFrom, data: mine }, { ...peer, state: 'WAIT', aloneFrom: peer.data.aloneFrom });
      return survivor === settings.node ? { kind: 'alone' } : { kind: 'wait', reason: 'divergent' };
    }
    case 'ahead': return { kind: 'alone' };
    case 'equal':
      // Same data. If the peer is also deciding, exactly one of us goes first; the other then
      // sees an ALONE peer and becomes SECOND. A stopped or held peer cannot lead.
      // The claim handshake (machine.ts) settles a race with a peer that starts at the same time.
      if (!peer.deciding || peer.data.reintegrating) return peer.claim && preferredPrimary(settings, mine, peer) !== settings.node ? { kind: 'pending' } : { kind: 'alone' };
      return preferredPrimary(settings, mine, peer) === settings.node ? { kind: 'alone' } : { kind: 'pending' };
  }
}

/** Tie-break between two nodes with equal data: defaultprim node, then the last primary, then name. */
export function preferredPrimary(settings: MirrorSettings, mine: PersistedData, peer: MirrorHeartbeat): string {
  const me = settings.node;
  const other = peer.from;
  if (settings.defaultprim === me || settings.defaultprim === other) return settings.defaultprim;
  const iWasPrimary = mine.lastRole === 'primary';
  const peerWasPrimary = peer.data.lastRole === 'primary';
  if (iWasPrimary !== peerWasPrimary) return iWasPrimary ? me : other;
  return me < other ? me : other;
}

/**
 * Split-brain recovery: both nodes ran ALONE. The one that was PRIM before the isolation stays
 * (SafeKit's rule); if that does not decide, the one ahead in data, then defaultprim, then name.
 */
export function splitBrainSurvivor(settings: MirrorSettings, mine: { state: MirrorHeartbeat['state']; aloneFrom: MirrorHeartbeat['aloneFrom']; data: PersistedData }, peer: MirrorHeartbeat): string {
  const me = settings.node;
  const other = peer.from;
  // A node still PRIM (it never noticed the loss) counts as the former primary.
  const iWasPrim = mine.state === 'PRIM' || mine.aloneFrom === 'PRIM';
  const peerWasPrim = peer.state === 'PRIM' || peer.aloneFrom === 'PRIM';
  if (iWasPrim !== peerWasPrim) return iWasPrim ? me : other;
  const relation = relationToPeer(settings, mine.data, peer.data);
  if (relation === 'ahead') return me;
  if (relation === 'behind') return other;
  if (settings.defaultprim === me || settings.defaultprim === other) return settings.defaultprim;
  return me < other ? me : other;
}
