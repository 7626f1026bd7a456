// The mirror's transitions, each with its scripts (SAFEKIT-BEHAVIOUR §6.3) and its safety order:
// a new data generation is persisted before the VIP is added or a write is accepted alone, and the
// VIP is removed before the stop scripts of a demotion run (actions.ts).

import { advanceGeneration, type Generation } from '../../shared/generation.js';
import { isoDate } from '../iso-date.js';
import type { PersistedData, ResyncMode } from '../actions.js';
import { finalStopScripts, restartScripts, transitionScripts, type ScriptCause } from '../scripts.js';
import type { Step } from './builder.js';
import { maxTimeout } from './heartbeat.js';
import type { MirrorHeartbeat } from './types.js';

/** A fresh, unique generation id (node, incarnation of its runtime, sequence) on top of ours. */
export function nextGeneration(b: Step): Pick<PersistedData, 'generation' | 'genSeq'> {
  const seq = b.s.data.genSeq + 1;
  const id = `${b.s.settings.node}:${b.s.incarnation}:${seq}`;
  return { generation: advanceGeneration(b.s.data.generation, id), genSeq: seq };
}

/** Become the only writer: from WAIT (start), SECOND (failover) or PRIM (secondary lost). With
 * `holdChanges` the replicator is not yet told (machine.ts onSecondaryLost). */
export function enterAlone(b: Step, from: 'WAIT' | 'SECOND' | 'PRIM', holdChanges = false): void {
  const aloneFrom = from === 'WAIT' ? 'other' : from;
  // one durable write: the new generation and the flags that go with it, before the VIP
  // holding, this copy is not yet known to be the only current one: the peer may still take over
  b.persist({ ...(b.s.settings.replicated ? nextGeneration(b) : {}), uptodate: !holdChanges, lastRole: 'primary', reintegrating: false, aloneFrom, tentative: holdChanges });
  b.set({ deciding: false, heldBy: null, dataRole: 'primary', resyncing: null, aloneFrom, swapRequest: false, handoff: false, splitLogged: false });
  b.resource('rfs.uptodate', 'up', 'nfsadmin', true);
  b.state('ALONE', 'Transient');
  if (from !== 'PRIM') b.push({ type: 'addVip' });
  if (!holdChanges) b.push({ type: 'setReplication', role: 'primary' });
  b.scripts(transitionScripts(from, 'ALONE', 'start'), { kind: 'entered', state: 'ALONE' }, 'start');
}

/** The secondary has joined: ALONE → PRIM. Replication to the peer is already flowing. */
export function aloneToPrim(b: Step): void {
  b.state('PRIM', 'Transient');
  b.set({ aloneFrom: null });
  b.scripts(transitionScripts('ALONE', 'PRIM', 'start'), { kind: 'entered', state: 'PRIM' }, 'start');
}

/** WAIT → SECOND: resynchronise first; the start scripts run once the copy is complete. */
export function enterSecond(b: Step, mode: ResyncMode, thenScripts = true, sinceMs?: number): void {
  if (!b.s.settings.replicated) {
    // a mirror without <rfs>: nothing to copy, the secondary is ready once its scripts ran
    b.persist({ uptodate: false, lastRole: 'secondary' });
    b.set({ deciding: false, heldBy: null, dataRole: 'secondary', aloneFrom: null });
    b.state('SECOND', 'Transient');
    if (thenScripts) b.scripts(transitionScripts('WAIT', 'SECOND', 'start'), { kind: 'entered', state: 'SECOND' }, 'start');
    else b.state('SECOND', 'Ready');
    return;
  }
  b.persist({ uptodate: false, lastRole: 'secondary', reintegrating: true });
  b.set({ deciding: false, heldBy: null, dataRole: 'secondary', resyncing: { mode, thenScripts }, aloneFrom: null });
  b.resource('rfs.uptodate', 'down', 'nfsadmin', true);
  b.state('SECOND', 'Transient');
  const seed = mode === 'external' ? b.s.data.seedNext ?? undefined : undefined;
  b.push({ type: 'startResync', mode, ...(sinceMs === undefined ? {} : { sinceMs }), ...(seed ? { seed } : {}) });
  b.push({ type: 'setReplication', role: 'secondary' });
  const how = mode === 'zones' ? 'changed zones' : mode === 'full' ? 'full synchronization' : mode === 'since' ? `files modified since ${isoDate(sinceMs ?? 0)}`
    : mode === 'external' ? `changes since the backup of external synchronization ${seed?.uid ?? '?'}` : 'divergent data saved first';
  b.log('E', `Updating directory tree (${how})`, 'reintegre'); // SafeKit's line, vendor test 7
}

/** A synchronisation asked by `rfssync full` or `rfssync external` happened: the policy returns to default. */
export function fullsyncDone(b: Step): void {
  const r = b.s.resources;
  if (r['usersetting.rfssyncmode'] === 'full') b.resource('usersetting.rfssyncmode', 'default', 'nfsadmin');
  if (r['usersetting.rfssyncmode'] !== 'external') return;
  b.resource('usersetting.rfssyncmode', 'default', 'nfsadmin');
  b.resource('usersetting.rfssyncrole', 'default', 'nfsadmin');
  b.resource('usersetting.rfssyncuid', 'none', 'nfsadmin');
}

/** Resynchronisation finished: adopt the primary's generation; then the start scripts. */
export function finishResync(b: Step, primary: MirrorHeartbeat | null, ok: boolean, synced?: Generation): void {
  if (!ok || primary === null || primary.dataRole !== 'primary') {
    const backoff = maxTimeout(b.s);
    b.resource('rfs.reintegre_failed', 'up', 'reintegre');
    b.log('E', `Reintegration failed; next attempt in ${backoff / 1000}s`, 'reintegre');
    b.push({ type: 'setReplication', role: 'none' });
    b.set({ resyncing: null, dataRole: 'none', deciding: true, decidingSince: b.now, resyncRetryAt: b.now + backoff });
    b.state('WAIT', 'NotReady');
    return;
  }
  b.persist({ generation: synced ?? primary.data.generation, reintegrating: false, tentative: false, fullsyncNext: false, fullsyncPeer: false, seedNext: null });
  fullsyncDone(b);
  b.resource('rfs.reintegre_failed', 'down', 'reintegre', true);
  b.log('E', 'Reintegration ended (synchronize)', 'reintegre');
  b.log('E', 'Uptodate replicated file system', 'nfsadmin');
  b.resource('rfs.uptodate', 'up', 'nfsadmin', true);
  const thenScripts = b.s.resyncing?.thenScripts ?? true;
  b.set({ resyncing: null });
  if (thenScripts) b.scripts(transitionScripts('WAIT', 'SECOND', 'start'), { kind: 'entered', state: 'SECOND' }, 'start');
  else b.state('SECOND', 'Ready');
}

/** ALONE → SECOND (split-brain victim): stop the application, remove the VIP, resynchronise. */
export function demoteAloneToSecond(b: Step, mode: ResyncMode): void {
  b.push({ type: 'removeVip' });
  b.set({ dataRole: 'none' }); // the replication role changes once the application has stopped (enterSecond)
  b.state('ALONE', 'Transient');
  b.scripts(transitionScripts('ALONE', 'SECOND', 'start'), { kind: 'demoted', resync: mode }, 'start');
}

/** PRIM → SECOND (swap): stop the application, remove the VIP, hand the primary role over. */
export function swapDemote(b: Step): void {
  b.log('E', 'Begin of Swap');
  b.push({ type: 'removeVip' });
  // the mount stays until the stop scripts ended: the application's last writes are replicated
  b.persist({ lastRole: 'secondary', uptodate: false });
  b.set({ dataRole: 'secondary', swapRequest: false });
  b.state('PRIM', 'Transient');
  b.scripts(transitionScripts('PRIM', 'SECOND', 'start'), { kind: 'demoted', resync: null }, 'start');
}

/** SECOND → PRIM (swap): the peer has stopped the application and handed over. */
export function swapPromote(b: Step): void {
  b.persist({ lastRole: 'primary', uptodate: false });
  b.set({ dataRole: 'primary', swapRequest: false, aloneFrom: null });
  b.state('PRIM', 'Transient');
  b.push({ type: 'addVip' });
  b.push({ type: 'setReplication', role: 'primary' });
  b.scripts(transitionScripts('SECOND', 'PRIM', 'start'), { kind: 'entered', state: 'PRIM' }, 'start');
}

/** Leave a running state for WAIT, then stop, hold (wait rule) or start again. */
export function leave(b: Step, then: 'stop' | 'wait' | 'stopstart', cause: ScriptCause): void {
  const from = b.s.state;
  if (from === 'WAIT' || from === 'STOP') {
    if (then === 'wait') { hold(b); return; }
    finalStop(b, then === 'stopstart', cause);
    return;
  }
  if (b.s.dataRole === 'primary') b.push({ type: 'removeVip' });
  b.state(from, 'Transient');
  b.scripts(transitionScripts(from, 'WAIT', cause), { kind: 'left', then }, cause);
}

/** Scripts of the running role have stopped: now in WAIT. */
export function afterLeft(b: Step, then: 'stop' | 'wait' | 'stopstart', cause: ScriptCause): void {
  b.push({ type: 'setReplication', role: 'none' });
  if (b.s.resyncing) b.set({ resyncing: null }); // data stays marked reintegrating (persisted)
  b.set({ dataRole: 'none', aloneFrom: null, swapRequest: false, handoff: false });
  if (then === 'wait') { hold(b); return; }
  b.state('WAIT', 'Transient');
  finalStop(b, then === 'stopstart', cause);
}

function hold(b: Step): void {
  b.set({ deciding: true, decidingSince: b.now, dataRole: 'none' });
  b.state('WAIT', 'NotReady');
}

export function finalStop(b: Step, restartAfter: boolean, cause: ScriptCause): void {
  b.set({ deciding: false });
  b.state('WAIT', 'Transient');
  b.scripts(finalStopScripts('mirror', cause), { kind: 'stopped', restartAfter }, cause);
}

export function restart(b: Step): void {
  const state = b.s.state;
  b.state(state, 'Transient');
  b.scripts(restartScripts(state), { kind: 'restarted' }, 'start');
}
