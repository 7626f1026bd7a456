// Cluster membership (SAFEKIT-BEHAVIOUR §1.3, §4): every node sends a membership pulse on every lan
// it shares with each other node, every `pulse`; a node is up while some lan hears it and down after
// `slost_count` pulses of silence on all lans. Pure: time comes in events, packets go out as actions.

export interface MembershipConfig {
  readonly self: string;
  /** The other nodes and their address on each lan this node is also on. */
  readonly peers: readonly { readonly name: string; readonly lans: readonly { readonly lan: string; readonly addr: string }[] }[];
  readonly pulseMs: number;
  readonly lostAfterMs: number;
}

export interface PeerStatus {
  readonly up: boolean;
  readonly since: number;
  readonly incarnation: number | null;
  /** When each lan last heard this peer. */
  readonly heard: Readonly<Record<string, number>>;
}

export interface MembershipState {
  readonly config: MembershipConfig;
  readonly peers: Readonly<Record<string, PeerStatus>>;
  readonly lastPulseAt: number | null;
  /** Refusal reasons already logged per sender address, to log each once until it changes. */
  readonly refusals: Readonly<Record<string, string>>;
}

export type MembershipEvent =
  | { readonly type: 'tick'; readonly now: number }
  | { readonly type: 'pulse'; readonly now: number; readonly lan: string; readonly from: string; readonly incarnation: number }
  | { readonly type: 'refused'; readonly now: number; readonly lan: string; readonly addr: string; readonly reason: string };

export type MembershipAction =
  | { readonly type: 'send'; readonly lan: string; readonly to: string; readonly addr: string }
  | { readonly type: 'log'; readonly level: 'E' | 'I'; readonly text: string }
  | { readonly type: 'view'; readonly up: readonly string[] };

export function initialMembership(config: MembershipConfig): MembershipState {
  const peers: Record<string, PeerStatus> = {};
  for (const p of config.peers) peers[p.name] = { up: false, since: 0, incarnation: null, heard: {} };
  return { config, peers, lastPulseAt: null, refusals: {} };
}

export function stepMembership(state: MembershipState, event: MembershipEvent): { state: MembershipState; actions: MembershipAction[] } {
  const actions: MembershipAction[] = [];
  let peers = state.peers;
  let { lastPulseAt, refusals } = state;
  const before = upList(peers);
  switch (event.type) {
    case 'tick': {
      for (const [name, p] of Object.entries(peers)) {
        const last = Math.max(-Infinity, ...Object.values(p.heard));
        if (p.up && event.now - last > state.config.lostAfterMs) {
          peers = { ...peers, [name]: { ...p, up: false, since: event.now } };
          actions.push({ type: 'log', level: 'E', text: `Node ${name} is down: no membership packet for ${state.config.lostAfterMs} ms on any lan` });
        }
      }
      if (lastPulseAt === null || event.now - lastPulseAt >= state.config.pulseMs) {
        lastPulseAt = event.now;
        for (const p of state.config.peers) for (const l of p.lans) actions.push({ type: 'send', lan: l.lan, to: p.name, addr: l.addr });
      }
      break;
    }
    case 'pulse': {
      const p = peers[event.from];
      if (!p) break; // not a node of our cluster: the daemon logs it
      const restarted = p.incarnation !== null && event.incarnation > p.incarnation;
      peers = { ...peers, [event.from]: { up: true, since: p.up && !restarted ? p.since : event.now, incarnation: event.incarnation, heard: { ...p.heard, [event.lan]: event.now } } };
      if (!p.up) actions.push({ type: 'log', level: 'E', text: `Node ${event.from} is up (lan ${event.lan})` });
      else if (restarted) actions.push({ type: 'log', level: 'E', text: `Node ${event.from} restarted (incarnation ${event.incarnation})` });
      break;
    }
    case 'refused': {
      if (refusals[event.addr] === event.reason) break;
      refusals = { ...refusals, [event.addr]: event.reason };
      actions.push({ type: 'log', level: 'E', text: `Membership packet from ${event.addr} on lan ${event.lan} refused: ${explain(event.reason)}` });
      break;
    }
  }
  const after = upList(peers);
  if (after.join(' ') !== before.join(' ')) actions.push({ type: 'view', up: after });
  return { state: { ...state, peers, lastPulseAt, refusals }, actions };
}

function upList(peers: Readonly<Record<string, PeerStatus>>): string[] {
  return Object.entries(peers).filter(([, p]) => p.up).map(([n]) => n).sort();
}

function explain(reason: string): string {
  switch (reason) {
    case 'unknown-key': return 'it is sealed with another cluster key (run "tandem cluster config" with the same cluster.xml/zip on every node, then "tandem -H \'*\' -G")';
    case 'auth-failed': return 'authentication failed (a different cluster key, or a forged or damaged packet)';
    case 'replay': return 'a replayed or duplicated packet';
    case 'stranger': return 'the sender is not a node of this cluster (check cluster.xml on both sides)';
    default: return `malformed packet (${reason})`;
  }
}
