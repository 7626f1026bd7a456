// Operator and automatic commands on a mirror module (SAFEKIT-BEHAVIOUR §8.3). A command with an
// identity (`-i`, used by checkers, errd and rules) counts toward maxloop; one without is
// administrative and resets the counter. Commands that arrive while scripts run are queued (the
// last one wins) and run when the scripts finish; forcestop never waits.

import { countRecovery, EMPTY_LOOP } from '../rules/maxloop.js';
import { isoDate } from '../iso-date.js';
import { transitionScripts } from '../scripts.js';
import type { Step } from './builder.js';
import { finalStop, leave, restart } from './transitions.js';
import type { ExternalSync, MirrorCommand } from './types.js';

export function startModule(b: Step): void {
  b.set({ deciding: false, heldBy: null, dataRole: 'none' });
  b.state('WAIT', 'Transient');
  b.scripts(transitionScripts('STOP', 'WAIT', 'start'), { kind: 'started' }, 'start');
}

function result(b: Step, ok: boolean, message: string): void {
  b.push({ type: 'commandResult', ok, message });
}

/** Automatic recoveries count toward maxloop; the one beyond the limit stops the module instead. */
export function countLoop(b: Step): boolean {
  const { loop, exceeded } = countRecovery(b.s.loop, b.now, b.s.settings.maxloop, b.s.settings.loopIntervalMs);
  b.set({ loop });
  if (loop.since !== null) b.resource('heart.stopstartloop', String(loop.since), 'heart', true);
  if (!exceeded) return true;
  b.log('C', 'Action stop called by maxloop');
  leave(b, 'stop', 'stop');
  return false;
}

/**
 * SafeKit's synchronisation policy (SAFEKIT-BEHAVIOUR §2.6.2): `rfssync full` makes the next
 * synchronisation a full one whichever role this node has then — as primary, of its peer
 * (fullsyncPeer); as secondary, of its own copy (fullsyncNext) — and the policy returns to default
 * after it (usersetting.rfssyncmode). A policy, not an action: it changes nothing running now.
 * `rfssync external` seeds a copy from a backup: see externalSync.
 */
function rfssync(b: Step, command: Extract<MirrorCommand, { kind: 'rfssync' }>, caller: string): void {
  if (!b.s.settings.replicated) return result(b, false, 'rfssync applies to a mirror module with replicated directories (<rfs>)');
  if (command.seed) return externalSync(b, command.seed, caller);
  if (!command.full) {
    const r = b.s.resources;
    const mode = r['usersetting.rfssyncmode'] ?? 'default';
    return result(b, true, `synchronization policy: ${mode}${mode === 'external' ? ` (${r['usersetting.rfssyncrole']} ${r['usersetting.rfssyncuid']})` : ''}`);
  }
  b.log('U', `Action rfssync full called by ${caller}`);
  b.persist({ fullsyncPeer: true, fullsyncNext: true });
  b.resource('usersetting.rfssyncmode', 'full', caller);
  return result(b, true, 'synchronization policy: full (the next synchronization copies everything, then the policy returns to default)');
}

/**
 * External synchronisation: `prim` on the primary (PRIM or ALONE) makes its replicator record every
 * change from now on under `uid`; the operator then backs up the replicated directories and
 * restores the backup on the other node, stopped, where `second` records that its next
 * resynchronisation asks for `uid`: only what changed since the command is sent (a full one when
 * the primary recorded no such name, or, unless -d, when the copy changed after `second`).
 */
function externalSync(b: Step, seed: ExternalSync, caller: string): void {
  const s = b.s;
  const form = `rfssync ${seed.check ? 'external' : '-d'} ${seed.role} ${seed.uid}`;
  if (seed.role === 'prim' && s.dataRole !== 'primary') return result(b, false, `${form}: this node is not the primary (state ${s.state}): run it on the primary, before the backup`);
  if (seed.role === 'second' && s.state !== 'STOP') return result(b, false, `${form}: the module runs on this node (state ${s.state}): stop it, restore the backup into the replicated directories, then run this before starting it`);
  b.log('U', `Action ${form} called by ${caller}`);
  if (seed.role === 'prim') b.push({ type: 'recordSeed', uid: seed.uid });
  else b.persist({ seedNext: { uid: seed.uid, check: seed.check, atMs: b.now } });
  b.resource('usersetting.rfssyncmode', 'external', caller);
  b.resource('usersetting.rfssyncrole', seed.role, caller);
  b.resource('usersetting.rfssyncuid', seed.uid, caller);
  return result(b, true, seed.role === 'prim'
    ? `synchronization policy: external ${seed.uid}: changes are recorded from now on; back up the replicated directories, restore them on the other node (stopped), run "${form.replace(' prim ', ' second ')}" there, then start it`
    : `synchronization policy: external ${seed.uid}: at its next start this node asks the primary for what changed since it began recording ${seed.uid}`);
}

export function runCommand(b: Step, command: MirrorCommand, by: string, identity?: string): void {
  const s = b.s;
  if (command.kind === 'loop') return b.loopCommand(command.op, identity ?? by);
  if (command.kind === 'rfssync') return rfssync(b, command, identity ?? by);
  if (s.pending !== null && command.kind !== 'forcestop') {
    b.set({ queued: { command, by, identity } });
    result(b, true, `${command.kind} queued: scripts are running; it runs when they finish`);
    return;
  }
  const caller = identity ?? by;
  const label = command.kind === 'setting' ? `${command.setting} ${command.on ? 'on' : 'off'}` : command.kind;
  b.log('U', `Action ${label} called by ${caller}`);
  if (identity === undefined && command.kind !== 'setting') b.set({ loop: EMPTY_LOOP });
  const running = s.state === 'ALONE' || s.state === 'PRIM' || s.state === 'SECOND';
  const peer = s.peer?.message ?? null;
  switch (command.kind) {
    case 'start':
      if (s.state !== 'STOP') return result(b, false, `already started (state ${s.state})`);
      startModule(b);
      return result(b, true, 'starting');
    case 'stop':
    case 'shutdown':
      if (s.state === 'STOP') return result(b, true, 'already stopped');
      leave(b, 'stop', 'stop');
      return result(b, true, 'stopping');
    case 'forcestop':
      if (s.state === 'STOP') return result(b, true, 'already stopped');
      if (s.dataRole === 'primary') b.push({ type: 'removeVip' });
      b.push({ type: 'setReplication', role: 'none' });
      b.set({ pending: null, queued: null, dataRole: 'none', resyncing: null, intent: null, handoff: false, swapRequest: false });
      finalStop(b, false, 'stop');
      return result(b, true, 'force-stopping');
    case 'restart':
      if (!running || s.qualifier !== 'Ready') return result(b, false, `restart needs ALONE, PRIM or SECOND (Ready); the module is ${s.state} (${s.qualifier})`);
      if (identity !== undefined && !countLoop(b)) return result(b, false, 'stopped by maxloop');
      restart(b);
      return result(b, true, 'restarting');
    case 'stopstart':
      if (s.state === 'STOP') return result(b, false, 'the module is stopped; use start');
      if (identity !== undefined && !countLoop(b)) return result(b, false, 'stopped by maxloop');
      leave(b, 'stopstart', 'stopstart');
      return result(b, true, 'stopping, then starting');
    case 'prim':
    case 'primforce': {
      if (peer !== null && peer.dataRole === 'primary') return result(b, false, `prim refused: ${peer.from} is already primary (${peer.state}); run second here instead`);
      if (running) return result(b, false, `prim needs a stopped or waiting module; it is ${s.state}`);
      if (s.data.reintegrating && command.kind === 'prim') {
        b.log('C', 'Data may be inconsistent for replicated directories (stopped during reintegration)', 'nfsadmin');
        b.log('E', 'If you are sure that this server has valid data, run safekit primforce to force start as primary');
        b.log('E', 'Requested prim start aborted');
        if (s.state === 'WAIT' && s.deciding) finalStop(b, false, 'stop');
        return result(b, false, 'prim refused: this node stopped during a resynchronisation; use primforce if its data is valid');
      }
      const fullsync = command.kind === 'primforce' || ('fullsync' in command && command.fullsync);
      b.persist({ fullsyncPeer: fullsync || b.s.data.fullsyncPeer, reintegrating: false });
      b.set({ intent: 'prim', heldBy: null });
      if (s.state === 'STOP') startModule(b);
      return result(b, true, 'starting as primary');
    }
    case 'second': case 'secondforce': {
      if (peer === null || peer.dataRole !== 'primary') return result(b, false, `${command.kind} refused: the peer is not primary; start it first or run prim there`);
      if (running) return result(b, false, `${command.kind} needs a stopped or waiting module; it is ${s.state}`);
      // secondforce: the operator vouches for this copy up to the date (a restore from a backup): no lineage check
      const forced = command.kind === 'secondforce';
      b.set({ intent: forced ? { sinceMs: command.sinceMs } : command.fullsync ? 'secondfull' : 'second', heldBy: null });
      if (s.state === 'STOP') startModule(b);
      return result(b, true, forced ? `starting as secondary, receiving the files modified since ${isoDate(command.sinceMs)}` : 'starting as secondary');
    }
    case 'swap': {
      const pair = peer !== null && ((s.state === 'PRIM' && peer.state === 'SECOND') || (s.state === 'SECOND' && peer.state === 'PRIM'));
      if (!pair || s.qualifier !== 'Ready' || peer?.qualifier !== 'Ready') return result(b, false, 'swap needs PRIM (Ready) and SECOND (Ready)');
      b.set({ swapRequest: true });
      return result(b, true, 'swapping');
    }
    case 'setting': {
      b.persist({ settings: { ...b.s.data.settings, [command.setting]: command.on } });
      b.resource(`usersetting.${command.setting}`, command.on ? 'on' : 'off', caller, true);
      if (command.setting === 'checker') b.updateCheckers();
      return result(b, true, `${command.setting} ${command.on ? 'on' : 'off'}`);
    }
  }
}
