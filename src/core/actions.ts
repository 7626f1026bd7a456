// What a step asks the runtime to do.
//
// ORDERING CONTRACT (for every action type): the runtime executes the actions of one step in the
// order given, and starts an action only when the previous one has completed. In particular:
//   - `persist` is durable (fsync'd) before anything after it runs: a new data generation is on
//     disk before the VIP is added or a write is accepted alone (DESIGN §5).
//   - `removeVip` completes before the stop scripts that follow it are run, and before the
//     heartbeat that announces the demotion is sent.
//   - `runScripts` runs its scripts one after the other; the runtime reports one `scriptsDone`
//     event for the whole batch, after the last script, carrying the batch number.
//   - `setReplication` completes once the role is in place; `startResync` only starts work, its
//     completion comes back as the `resyncDone` event.
// Log and resource actions carry no ordering risk but keep the order for readable logs.

import type { Generation } from '../shared/generation.js';
import type { WhenClass } from '../shared/config.js';

export type LogLevel = 'U' | 'E' | 'C' | 'S' | 'I' | 'D';

export interface ScriptCall {
  readonly script: string;
  readonly args: readonly string[];
}

export interface PersistedData {
  /** The data generation of this node's copy (DESIGN §5). */
  readonly generation: Generation;
  /** This copy may start alone without seeing the peer: it was the only writer when it stopped. */
  readonly uptodate: boolean;
  /** The last data role this node held, for tie-breaks and `defaultprim="lastprim"`. */
  readonly lastRole: 'primary' | 'secondary' | 'none';
  /** The role this node held when it last started writing alone (split-brain arbitration). */
  readonly aloneFrom: 'PRIM' | 'SECOND' | 'other' | null;
  /** Stopped or crashed in the middle of a resynchronisation: the copy may be half-written. */
  readonly reintegrating: boolean;
  /** Sequence for minting generation ids on this node. */
  readonly genSeq: number;
  /** The next resynchronisation of the peer must be a full one (after prim fullsync or primforce). */
  readonly fullsyncPeer: boolean;
  /**
   * The current generation was made when the replication stream broke, and no change has been
   * answered under it yet (the changes are held: machine.ts onSecondaryLost). Compared with the
   * peer's, the copy counts as its previous generation: nothing acknowledged was written in it.
   * Absent in data stored before it existed: false.
   */
  readonly tentative?: boolean;
  /** `rfssync full`: the next resynchronisation of this copy, as a secondary, is a full one.
   * Absent in data stored before it existed: false. */
  readonly fullsyncNext?: boolean;
  /** `rfssync external|-d second <uid>`: this copy was restored from a backup; its next
   * resynchronisation sends only what changed since (SAFEKIT-BEHAVIOUR §2.6.2). Absent: none. */
  readonly seedNext?: SeedRequest | null;
  readonly settings: { readonly failover: boolean; readonly errd: boolean; readonly checker: boolean };
}

/** `since`: only the files modified since a date an operator gave (secondforce -d); `external`:
 * only what changed since a backup the copy was restored from (rfssync external). */
export type ResyncMode = 'zones' | 'full' | 'divergent' | 'since' | 'external';

/**
 * External synchronisation (seeding from a backup), the secondary's side: the name both nodes were
 * given, whether to check that the copy was not changed after the command (`-d`: no), and when
 * the command was given (ms since the epoch): the backup was restored before it.
 */
export interface SeedRequest { readonly uid: string; readonly check: boolean; readonly atMs: number }

export type Action =
  /** A module-log line. Ordering: none beyond readability; never delays the step. */
  | { readonly type: 'log'; readonly level: LogLevel; readonly component: string; readonly text: string }
  /** Record a resource value (and its history). Ordering: before any later action reads the store. */
  | { readonly type: 'setResource'; readonly name: string; readonly value: string; readonly by: string }
  /**
   * Make this node's data state durable (fsync). Ordering: completes before the next action starts;
   * a new generation is on disk before the VIP is added or a write is accepted alone.
   */
  | { readonly type: 'persist'; readonly data: PersistedData }
  /** Send the message on the named heartbeats. Ordering: after every earlier action of the step, so
   * a heartbeat never announces a state whose persist or VIP removal is still pending. */
  | { readonly type: 'sendHeartbeat'; readonly idents: readonly string[]; readonly message: unknown }
  /** Run user scripts one after the other; one `scriptsDone` event reports the batch. Ordering: a
   * demotion's `removeVip` precedes its stop scripts; the next batch waits for `scriptsDone`. */
  | { readonly type: 'runScripts'; readonly batch: number; readonly scripts: readonly ScriptCall[] }
  /** Add the virtual IP and announce it (gratuitous ARP). Ordering: after the generation is persisted. */
  | { readonly type: 'addVip' }
  /** Remove the virtual IP (resetting TCP connections from it). Ordering: completes before the stop
   * scripts that follow and before the heartbeat that announces the demotion. */
  | { readonly type: 'removeVip' }
  /** Switch the replication role; completes once the role is in place (the primary's directories are
   * mounted before the start scripts that follow). Ordering: 'primary' only after the `persist` of
   * a new generation when alone — it also answers the changes held since the secondary was lost;
   * away from 'primary' only after the application's stop scripts (the mount goes with it). */
  | { readonly type: 'setReplication'; readonly role: 'primary' | 'secondary' | 'none' }
  /** Start a resynchronisation from the primary; `resyncDone` reports the end. Ordering: just before
   * `setReplication('secondary')`, so the mode is known when the primary first connects; live
   * writes are received while the copy is rebuilt; a 'divergent' resync saves this copy's own
   * changes aside before overwriting anything. */
  | { readonly type: 'startResync'; readonly mode: ResyncMode; readonly sinceMs?: number; readonly seed?: SeedRequest }
  /** `rfssync external prim <uid>`: the primary records every change from now on, for a peer to be
   * seeded from a backup taken after it. Ordering: before the command's answer. */
  | { readonly type: 'recordSeed'; readonly uid: string }
  /** The checker classes that run from now on (others stop). Ordering: after the state change it follows. */
  | { readonly type: 'checkers'; readonly active: readonly WhenClass[] }
  /** Ask the split-brain witnesses (every heartbeat is lost); the answer comes back as the resource
   * event splitbrain.uptodate = up (one answered) | down (none did). Ordering: none; returns at once. */
  | { readonly type: 'checkWitness' }
  /** Farm: the buckets this node serves in a group. Ordering: releases are applied before the
   * pulse that announces them (the pulse is the last action of the step). */
  | { readonly type: 'setBuckets'; readonly group: string; readonly owned: readonly number[] }
  /** The answer to the command of this step. Ordering: after the actions the command started. */
  | { readonly type: 'commandResult'; readonly ok: boolean; readonly message: string };

export function log(level: LogLevel, component: string, text: string): Action {
  return { type: 'log', level, component, text };
}
