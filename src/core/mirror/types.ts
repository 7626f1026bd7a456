import type { Generation } from '../../shared/generation.js';
// The mirror module's state, events and heartbeat message.

import type { MirrorState, Qualifier } from '../../shared/states.js';
import type { FailoverRule } from '../../shared/rules.js';
import type { WhenClass } from '../../shared/config.js';
import type { PersistedData, ResyncMode } from '../actions.js';
import type { RulesState } from '../rules/engine.js';
import type { LoopCounter, LoopOp } from '../rules/maxloop.js';
import type { ScriptCause } from '../scripts.js';
import type { ModuleStateBase } from '../step.js';

/** What the machine needs from the configuration; built by the runtime from ModuleConfig. */
export interface MirrorSettings {
  readonly node: string;
  readonly peer: string;
  readonly heartbeats: readonly { readonly ident: string; readonly pulseMs: number; readonly timeoutMs: number }[];
  /** false for a mirror without <rfs>: no data generations to respect. */
  readonly replicated: boolean;
  readonly defaultprim: string; // 'alone' | 'lastprim' | node name
  readonly maxloop: number;
  readonly loopIntervalMs: number;
  readonly rules: readonly FailoverRule[];
  readonly periodMs: number;
  readonly handleTimeMs: number;
  /**
   * A <splitbrain> checker is configured: when every heartbeat is lost, a running node asks the
   * witness (the `checkWitness` action) and goes ALONE only if it answered (splitbrain.uptodate).
   */
  readonly splitbrain: boolean;
  /** Checker resources per `when` class, reset to `init` when their class stops. */
  readonly checkerResources: readonly { readonly resource: string; readonly when: WhenClass }[];
}

export type MirrorCommand =
  | { readonly kind: 'start' | 'stop' | 'forcestop' | 'restart' | 'stopstart' | 'primforce' | 'shutdown' }
  | { readonly kind: 'prim' | 'second'; readonly fullsync: boolean }
  | { readonly kind: 'swap'; readonly nosync: boolean }
  | { readonly kind: 'setting'; readonly setting: 'failover' | 'errd' | 'checker'; readonly on: boolean }
  | { readonly kind: 'loop'; readonly op: LoopOp }
  /** `secondforce -d <date>`: secondary at once, receiving only the files modified since `sinceMs`. */
  | { readonly kind: 'secondforce'; readonly sinceMs: number }
  /** `rfssync full` (the next synchronisation is full, on whichever side), `rfssync external|-d
   * prim|second <uid>` (seeding from a backup; `check` false with -d), or `rfssync` (the policy). */
  | { readonly kind: 'rfssync'; readonly full: boolean; readonly seed?: ExternalSync };

/** `rfssync external|-d prim|second <uid>`: this node's role in the seeding, its name, and whether
 * the restored copy is checked for later changes (false with -d). */
export interface ExternalSync { readonly role: 'prim' | 'second'; readonly uid: string; readonly check: boolean }

/** What an external synchronisation may be named (SafeKit: at most 24 characters), for the CLI and the API. */
export const EXTERNAL_SYNC_UID = '^[A-Za-z0-9_.-]{1,24}$';

/** Sent every pulse on every heartbeat; carries what the peer needs to decide. */
export interface MirrorHeartbeat {
  readonly from: string;
  /** Grows at every start of the peer's runtime (persisted by the runtime). */
  readonly incarnation: number;
  readonly seq: number;
  readonly state: MirrorState;
  readonly qualifier: Qualifier;
  /** Whether this node currently runs the application as primary, follows as secondary, or neither. */
  readonly dataRole: 'primary' | 'secondary' | 'none';
  /** In WAIT and deciding which role to take (start-up). */
  readonly deciding: boolean;
  readonly data: PersistedData;
  /** The role this node held just before it went ALONE (split-brain arbitration). */
  readonly aloneFrom: 'PRIM' | 'SECOND' | 'other' | null;
  readonly swapRequest: boolean;
  /** A demoting primary has stopped the application and hands the primary role over. */
  readonly handoff: boolean;
  readonly resources: Readonly<Record<string, string>>;
  /** The newest heartbeat received from the peer (the claim handshake reads it). */
  readonly ack: { readonly incarnation: number; readonly seq: number } | null;
  /** This node wants to go primary and waits for the peer to acknowledge (machine.ts claimed()). */
  readonly claim: boolean;
}

export type MirrorEvent =
  | { readonly type: 'tick'; readonly now: number }
  | { readonly type: 'heartbeat'; readonly now: number; readonly ident: string; readonly message: MirrorHeartbeat }
  | { readonly type: 'command'; readonly now: number; readonly command: MirrorCommand; readonly by: string; readonly identity?: string }
  | { readonly type: 'scriptsDone'; readonly now: number; readonly batch: number; readonly ok: boolean }
  /** The replicator finished bringing this copy up to date: `generation` is the one the primary
   * synchronised it to (not the one its latest heartbeat shows, which may already be newer). */
  | { readonly type: 'resyncDone'; readonly now: number; readonly ok: boolean; readonly generation?: Generation }
  /** The primary's replication lost its live secondary: changes wait until a new generation is durable. */
  | { readonly type: 'secondaryLost'; readonly now: number }
  | { readonly type: 'resource'; readonly now: number; readonly name: string; readonly value: string; readonly by: string; readonly identity?: string }
  | { readonly type: 'cluster'; readonly now: number; readonly peerVisible: boolean };

/** What runs when the current script batch completes. */
export type Continuation =
  | { readonly kind: 'started' }
  | { readonly kind: 'entered'; readonly state: 'ALONE' | 'PRIM' | 'SECOND' }
  | { readonly kind: 'left'; readonly then: 'stop' | 'wait' | 'stopstart' }
  | { readonly kind: 'stopped'; readonly restartAfter: boolean }
  | { readonly kind: 'restarted' }
  | { readonly kind: 'demoted'; readonly resync: ResyncMode | null };

export interface PeerView {
  readonly message: MirrorHeartbeat;
  readonly at: number;
}

export interface MirrorNode extends ModuleStateBase<MirrorState, Continuation> {
  readonly settings: MirrorSettings;
  readonly incarnation: number;
  readonly state: MirrorState;
  readonly qualifier: Qualifier;
  readonly dataRole: 'primary' | 'secondary' | 'none';
  readonly data: PersistedData;
  /** Scripts in flight and what follows them. */
  readonly pending: { readonly batch: number; readonly then: Continuation; readonly cause: ScriptCause } | null;
  readonly batch: number;
  /** WAIT and choosing a role (start-up, or held by a wait rule / missing data). */
  readonly deciding: boolean;
  readonly decidingSince: number;
  /** Why the start is held, for the log and `state` (rule name), or null. */
  readonly heldBy: string | null;
  /** A resynchronisation in progress; `thenScripts`: run the WAIT → SECOND scripts when it ends. */
  readonly resyncing: { readonly mode: ResyncMode; readonly thenScripts: boolean } | null;
  readonly aloneFrom: MirrorHeartbeat['aloneFrom'];
  readonly swapRequest: boolean;
  readonly handoff: boolean;
  readonly peer: PeerView | null;
  readonly heartbeats: Readonly<Record<string, {
    readonly up: boolean;
    readonly lastAt: number | null;
    /** The newest message seen on this heartbeat, to drop reordered ones (the transport drops duplicates and replays). */
    readonly seen: { readonly incarnation: number; readonly seq: number } | null;
  }>>;
  readonly resources: Readonly<Record<string, string>>;
  readonly clusterPeerVisible: boolean;
  readonly rules: RulesState;
  readonly loop: LoopCounter;
  readonly seq: number;
  /**
   * The state our heartbeats carried last, and the sequence of the first heartbeat that carried it:
   * a peer whose `ack` reaches that sequence has heard us in our current state (heartbeat.ts).
   */
  readonly sentState: { readonly state: MirrorState; readonly sinceSeq: number } | null;
  readonly lastPulseAt: number | null;
  /** In WAIT, the peer's heartbeats arrive but show it has not heard this node: since when, and
   * whether the operator was told (start.ts). */
  readonly unheard: { readonly since: number; readonly told: boolean } | null;
  /** Last `Remote state` line logged, to log changes only. */
  readonly remoteLogged: string;
  /** A command that arrived while scripts ran; executed when they finish. */
  readonly queued: { readonly command: MirrorCommand; readonly by: string; readonly identity?: string } | null;
  /** An operator's forced role for this start (prim / second / second fullsync / secondforce -d). */
  readonly intent: 'prim' | 'second' | 'secondfull' | { readonly sinceMs: number } | null;
  /** The last primary we heard may still start alone (it had not confirmed our synchronisation). */
  readonly primaryMayStartAlone: boolean;
  /** The heartbeat sequence that first carried our claim to go primary, or null. */
  readonly claimSeq: number | null;
  /** After a failed resynchronisation, the next attempt waits until then. */
  readonly resyncRetryAt: number;
  /** Split-brain arbitration already logged for the current episode. */
  readonly splitLogged: boolean;
  /** Every heartbeat was lost and the witness has been asked, for this loss (splitbrain checker). */
  readonly witnessAsked: boolean;
  /**
   * The replication stream to the secondary broke while it may still believe its copy current: the
   * replicator holds the application's changes (the primary role is not confirmed to it) until the
   * secondary shows it knows its copy is behind, or is gone (machine.ts releaseHeldChanges).
   */
  readonly changesHeld: boolean;
}

