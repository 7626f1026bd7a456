// The start-up path of a mirror node in WAIT: hold while a wait rule or the data say so, honour an
// operator's prim/second, otherwise take the role decide.ts gives — after the claim handshake when
// the peer is heard (docs/decisions/0003-claim-handshake.md).

import type { Step } from './builder.js';
import type { MirrorHeartbeat } from './types.js';
import { decideStart, preferredPrimary, relationToPeer, resyncMode, type WaitReason } from './decide.js';
import { maxTimeout, peerHeardCurrentState, sendHeartbeat } from './heartbeat.js';
import { DATA_HOLDS } from './rules.js';
import { enterAlone, enterSecond, finalStop } from './transitions.js';

export function decide(b: Step): void {
  const s = b.s;
  if (s.heldBy !== null && !DATA_HOLDS.has(s.heldBy)) return; // held by a wait rule
  const peer = s.peer?.message ?? null;
  if (s.heldBy === 'splitbrain_failure') {
    if (s.resources['splitbrain.uptodate'] === 'down' && s.intent === null) return; // until a heartbeat comes back
    b.log('E', 'Action wakeup from failover rule Implicit_wakeup');
    b.set({ heldBy: null });
  }
  if (s.heldBy === 'failover-off' && (peer === null || peer.dataRole !== 'primary') && !(peer?.deciding)) return;
  if (s.intent === 'prim') {
    if (peer !== null && peer.dataRole === 'primary') { b.set({ intent: null }); b.log('E', 'Requested prim start aborted'); finalStop(b, false, 'stop'); return; }
    b.set({ intent: null });
    enterAlone(b, 'WAIT');
    return;
  }
  // Everything below follows the peer's heartbeat, so it must show the peer as it is since it heard
  // us in this state: an older one — delivered late by a link that healed, or sent by a node that
  // has died since — could make us resynchronise from a primary that is gone (decision 0015).
  if (peer !== null && !peerHeardCurrentState(s, peer)) { unheardByPeer(b, peer.from); return; }
  if (s.unheard !== null) b.set({ unheard: null });
  if (s.data.seedNext && s.settings.replicated) {
    // this copy is a restored backup: it never starts alone, and syncs from the primary by what
    // changed since the backup (rfssync external)
    if (peer === null || peer.dataRole !== 'primary' || peer.handoff) { if (peer !== null || b.now - s.decidingSince >= maxTimeout(s)) holdForData(b, 'notuptodate'); return; }
    b.set({ intent: null });
    enterSecond(b, 'external');
    return;
  }
  if (s.intent !== null && typeof s.intent === 'object') {
    if (peer === null || peer.dataRole !== 'primary') return; // wait for the primary
    const { sinceMs } = s.intent;
    b.set({ intent: null });
    enterSecond(b, 'since', true, sinceMs);
    return;
  }
  if (s.intent === 'second' || s.intent === 'secondfull') {
    if (peer === null || peer.dataRole !== 'primary') return; // wait for the primary
    const full = s.intent === 'secondfull';
    b.set({ intent: null });
    const trusted = s.data.generation.current !== null;
    const mode = resyncMode(relationToPeer(s.settings, s.data, peer.data), full || peer.data.fullsyncPeer || s.data.reintegrating || !!s.data.fullsyncNext, trusted);
    enterSecond(b, full && mode !== 'divergent' ? 'full' : mode);
    return;
  }
  if (b.now < s.resyncRetryAt && peer?.dataRole === 'primary') return; // back off after a failed resync
  const d = decideStart(s.settings, s.data, peer, b.now - s.decidingSince >= maxTimeout(s));
  if (d.kind !== 'alone' && s.claimSeq !== null) b.set({ claimSeq: null });
  switch (d.kind) {
    case 'alone': if (claimed(b, peer)) enterAlone(b, 'WAIT'); break;
    case 'second': enterSecond(b, d.mode); break;
    case 'pending': if (s.qualifier !== 'Transient' && s.heldBy === null) b.state('WAIT', 'Transient'); break;
    case 'wait': holdForData(b, d.reason); break;
  }
}

/**
 * Going primary while the peer is heard takes a handshake, so that two nodes starting together
 * never both go ALONE: we announce a claim, and act only on a peer heartbeat sent after the peer
 * saw it (its ack covers our claim) that shows no competing claim, or a competing one we win by
 * the tie-break both sides compute. A peer we cannot hear is handled by the heartbeat timeout.
 */
function claimed(b: Step, peer: MirrorHeartbeat | null): boolean {
  const s = b.s;
  if (peer === null) return true;
  if (s.claimSeq === null) {
    b.set({ claimSeq: s.seq + 1 });
    sendHeartbeat(b);
    return false;
  }
  if (peer.ack === null || peer.ack.incarnation !== s.incarnation || peer.ack.seq < s.claimSeq) return false;
  // The peer has seen our claim; unless it competes and wins, it has given up starting alone.
  if (s.settings.replicated && peer.data.uptodate && !peer.claim) return false;
  if (peer.claim && preferredPrimary(s.settings, s.data, peer) !== s.settings.node) {
    b.set({ claimSeq: null }); // the peer wins the tie-break: it goes first, we follow it
    return false;
  }
  b.set({ claimSeq: null });
  return true;
}

/** Normally one heartbeat period; longer than a heartbeat timeout, the link works one way only. */
function unheardByPeer(b: Step, peer: string): void {
  const u = b.s.unheard;
  // a new episode from each start of the decision (the last may have ended in another state)
  if (u === null || u.since < b.s.decidingSince) { b.set({ unheard: { since: b.now, told: false } }); return; }
  if (u.told || b.now - u.since < maxTimeout(b.s)) return;
  b.log('E', `Heartbeats from ${peer} arrive, but ${peer} does not hear this node: it waits until it does (check the network from this node to ${peer})`);
  b.set({ unheard: { ...u, told: true } });
}

function holdForData(b: Step, reason: WaitReason): void {
  const held = reason === 'peer-busy' ? 'peer' : reason === 'untrusted' ? 'untrusted' : 'rfs_notuptodate_server';
  if (b.s.heldBy === held && b.s.qualifier === 'NotReady') return;
  const wasHeld = b.s.heldBy === 'rfs_notuptodate_server';
  b.set({ heldBy: held });
  b.resource('rfs.uptodate', 'down', 'nfsadmin', true);
  if (reason === 'untrusted') {
    if (!wasHeld) b.log('E', 'Data may not be uptodate for replicated directories (wait for the start of the remote server)', 'nfsadmin');
    b.log('E', 'The remote server is primary: run safekit second on this server to synchronize it from the primary');
  } else if (reason === 'notuptodate') {
    b.log('E', 'Data may not be uptodate for replicated directories (wait for the start of the remote server)', 'nfsadmin');
    b.log('C', 'Action wait from failover rule rfs_notuptodate_server');
    b.log('E', 'If you are sure that this server has valid data, run safekit prim to force start as primary');
  } else if (reason === 'inconsistent') {
    b.log('C', 'Data may be inconsistent for replicated directories (stopped during reintegration)', 'nfsadmin');
    b.log('E', 'If you are sure that this server has valid data, run safekit primforce to force start as primary');
  } else if (reason === 'divergent') {
    b.log('C', 'Both nodes hold data written alone (divergent copies): the remote copy is kept, this node will resynchronise from it with its own changes saved aside', 'nfsadmin');
  }
  b.state('WAIT', 'NotReady');
}
