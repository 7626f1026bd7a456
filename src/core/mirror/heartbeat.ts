// Heartbeat helpers shared by the mirror machine's parts: what a heartbeat says about this node.

import type { Step } from './builder.js';
import type { MirrorHeartbeat, MirrorNode } from './types.js';

export function maxTimeout(s: MirrorNode): number {
  return Math.max(...s.settings.heartbeats.map((h) => h.timeoutMs));
}

/** In WAIT on the way up: running the start scripts, or deciding which role to take. */
export function isStarting(s: MirrorNode): boolean {
  return s.state === 'WAIT' && (s.deciding || s.pending?.then.kind === 'started');
}

export function sendHeartbeat(b: Step): void {
  const s = b.s;
  const message: MirrorHeartbeat = {
    from: s.settings.node, incarnation: s.incarnation, seq: s.seq + 1, state: s.state, qualifier: s.qualifier,
    dataRole: s.dataRole, deciding: isStarting(s), data: s.data, aloneFrom: s.aloneFrom,
    swapRequest: s.swapRequest, handoff: s.handoff, resources: s.resources,
    ack: s.peer ? { incarnation: s.peer.message.incarnation, seq: s.peer.message.seq } : null, claim: s.claimSeq !== null,
  };
  const sentState = s.sentState?.state === s.state ? s.sentState : { state: s.state, sinceSeq: message.seq };
  b.set({ seq: message.seq, lastPulseAt: b.now, sentState });
  b.push({ type: 'sendHeartbeat', idents: s.settings.heartbeats.map((h) => h.ident), message });
}

/**
 * Whether this heartbeat of the peer was sent after the peer heard us in our current state. One
 * that was not may be old — a network that was cut can deliver, once it heals, what it held for
 * seconds — and describes a peer that has not seen what we are now: an irreversible decision
 * (which copy survives a split brain) must not be taken on it. Both nodes wait for this, so both
 * decide on the same, current facts.
 */
export function peerHeardCurrentState(s: MirrorNode, peer: MirrorHeartbeat): boolean {
  return s.sentState !== null && s.sentState.state === s.state && peer.ack !== null
    && peer.ack.incarnation === s.incarnation && peer.ack.seq >= s.sentState.sinceSeq;
}
