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
//   - `setReplication` and `startResync` only start work; completion comes back as events.
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
  readonly settings: { readonly failover: boolean; readonly errd: boolean; readonly checker: boolean };
}

export type ResyncMode = 'zones' | 'full' | 'divergent';

export type Action =
  | { readonly type: 'log'; readonly level: LogLevel; readonly component: string; readonly text: string }
  | { readonly type: 'setResource'; readonly name: string; readonly value: string; readonly by: string }
  | { readonly type: 'persist'; readonly data: PersistedData }
  | { readonly type: 'sendHeartbeat'; readonly idents: readonly string[]; readonly message: unknown }
  | { readonly type: 'runScripts'; readonly batch: number; readonly scripts: readonly ScriptCall[] }
  | { readonly type: 'addVip' }
  | { readonly type: 'removeVip' }
  | { readonly type: 'setReplication'; readonly role: 'primary' | 'secondary' | 'none' }
  | { readonly type: 'startResync'; readonly mode: ResyncMode }
  | { readonly type: 'checkers'; readonly active: readonly WhenClass[] }
  | { readonly type: 'setBuckets'; readonly group: string; readonly owned: readonly number[] }
  | { readonly type: 'commandResult'; readonly ok: boolean; readonly message: string };

export function log(level: LogLevel, component: string, text: string): Action {
  return { type: 'log', level, component, text };
}
