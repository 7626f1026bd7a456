// The farm (and light) module's state, events and membership pulse.

import type { FarmState } from '../../shared/states.js';
import type { FailoverRule } from '../../shared/rules.js';
import type { WhenClass } from '../../shared/config.js';
import type { RulesState } from '../rules/engine.js';
import type { LoopCounter, LoopOp } from '../rules/maxloop.js';
import type { ModuleStateBase } from '../step.js';
import type { BucketMap, BucketSet, Member } from './buckets.js';

/**
 * A bucket map with the version its leader gave it. Versions only grow, cluster-wide; two leaders
 * of separate partitions may pick the same number, so the leader's name completes the version.
 */
export interface VersionedMap {
  readonly version: number;
  readonly by: string;
  readonly owners: BucketMap;
  /** The bucket set of each owner, computed once by the leader. */
  readonly sets: Readonly<Record<string, BucketSet>>;
}

export interface FarmSettings {
  readonly node: string;
  /** Every node the farm runs on (a light module: just this node). */
  readonly nodes: readonly string[];
  /** Load-balancing groups with the power of each node; an empty host list = every node, power 1. */
  readonly groups: readonly { readonly name: string; readonly hosts: readonly Member[] }[];
  readonly pulseMs: number;
  /** A peer is gone after this many missed pulses (slost_count). */
  readonly lostCount: number;
  readonly rules: readonly FailoverRule[];
  readonly periodMs: number;
  readonly handleTimeMs: number;
  readonly maxloop: number;
  readonly loopIntervalMs: number;
  readonly checkerResources: readonly { readonly resource: string; readonly when: WhenClass }[];
}

export type FarmCommand =
  | { readonly kind: 'start' | 'stop' | 'forcestop' | 'restart' | 'stopstart' | 'shutdown' }
  | { readonly kind: 'setting'; readonly setting: 'errd' | 'checker'; readonly on: boolean }
  | { readonly kind: 'loop'; readonly op: LoopOp };

export interface FarmPulse {
  readonly from: string;
  readonly incarnation: number;
  readonly seq: number;
  /** Receiving traffic (its VIP is open). */
  readonly serving: boolean;
  /** The sender's view of the serving nodes, sorted. */
  readonly view: readonly string[];
  /** The sender's adopted bucket map per group. */
  readonly maps: Readonly<Record<string, VersionedMap>>;
  /** The buckets the sender serves now, per group. */
  readonly claims: Readonly<Record<string, BucketSet>>;
  /** The newest pulse the sender has received from each node: what it has heard of them. */
  readonly heard: Readonly<Record<string, PulseId>>;
}

export interface PulseId { readonly incarnation: number; readonly seq: number }

export type FarmEvent =
  | { readonly type: 'tick'; readonly now: number }
  | { readonly type: 'pulse'; readonly now: number; readonly message: FarmPulse }
  | { readonly type: 'command'; readonly now: number; readonly command: FarmCommand; readonly by: string; readonly identity?: string }
  | { readonly type: 'scriptsDone'; readonly now: number; readonly batch: number; readonly ok: boolean }
  | { readonly type: 'resource'; readonly now: number; readonly name: string; readonly value: string; readonly by: string };

export type FarmContinuation =
  | { readonly kind: 'started' }
  | { readonly kind: 'up' }
  | { readonly kind: 'left'; readonly then: 'stop' | 'wait' | 'stopstart' }
  | { readonly kind: 'stopped'; readonly restartAfter: boolean }
  | { readonly kind: 'restarted' };

export interface FarmNode extends ModuleStateBase<FarmState, FarmContinuation> {
  readonly settings: FarmSettings;
  readonly incarnation: number;
  readonly serving: boolean;
  readonly deciding: boolean;
  readonly heldBy: string | null;
  /** The peers in contact: their newest pulse and when it came. */
  readonly peers: Readonly<Record<string, { readonly at: number; readonly message: FarmPulse }>>;
  /** The newest pulse received from each node, in contact or not (drops reordered pulses; our acks). */
  readonly heard: Readonly<Record<string, PulseId>>;
  /**
   * For a peer out of contact: the first sequence of ours its pulse must acknowledge to come back
   * (machine.ts onPulse). Absent: any pulse of ours in this incarnation.
   */
  readonly admitFrom: Readonly<Record<string, number>>;
  readonly view: readonly string[];
  readonly maps: Readonly<Record<string, VersionedMap>>;
  readonly owned: Readonly<Record<string, number>>;
  /** The buckets this node serves, per group. */
  readonly claims: Readonly<Record<string, BucketSet>>;
  readonly settingsOn: { readonly errd: boolean; readonly checker: boolean };
  readonly rules: RulesState;
  readonly loop: LoopCounter;
  readonly seq: number;
  readonly lastPulseAt: number | null;
  readonly queued: { readonly command: FarmCommand; readonly by: string; readonly identity?: string } | null;
}
