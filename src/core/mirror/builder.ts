// A step under construction: the next state and the actions, in order. Each step starts from the
// state it was given and never mutates it.

import { formatState, type MirrorState, type Qualifier } from '../../shared/states.js';
import type { WhenClass } from '../../shared/config.js';
import { log, type Action, type LogLevel, type PersistedData, type ScriptCall } from '../actions.js';
import type { ScriptCause } from '../scripts.js';
import type { Continuation, MirrorNode } from './types.js';

export class Step {
  readonly actions: Action[] = [];
  constructor(public s: MirrorNode, readonly now: number) {}

  set(patch: Partial<MirrorNode>): void {
    this.s = { ...this.s, ...patch };
  }

  log(level: LogLevel, text: string, component = 'heart'): void {
    this.actions.push(log(level, component, text));
  }

  resource(name: string, value: string, by: string, quiet = false): void {
    if (this.s.resources[name] === value) return;
    this.set({ resources: { ...this.s.resources, [name]: value } });
    this.actions.push({ type: 'setResource', name, value, by });
    if (!quiet) this.log('E', `Resource ${name} set to ${value} by ${by}`, by);
  }

  /** Durable before anything after it (see actions.ts). */
  persist(patch: Partial<PersistedData>): void {
    this.set({ data: { ...this.s.data, ...patch } });
    this.actions.push({ type: 'persist', data: this.s.data });
  }

  state(state: MirrorState, qualifier: Qualifier): void {
    if (this.s.state === state && this.s.qualifier === qualifier) return;
    this.set({ state, qualifier });
    this.log('E', `Local state ${formatState(state, qualifier)}`);
    this.resource('state.local', `${state} ${qualifier}`, 'heart', true);
    this.updateCheckers();
  }

  scripts(scripts: readonly ScriptCall[], then: Continuation, cause: ScriptCause): void {
    const batch = this.s.batch + 1;
    this.set({ batch, pending: { batch, then, cause } });
    this.actions.push({ type: 'runScripts', batch, scripts });
  }

  push(action: Action): void {
    this.actions.push(action);
  }

  /** Checker classes follow the state (SAFEKIT-BEHAVIOUR §5.11, §6.3); stopped ones read `init` again. */
  updateCheckers(): void {
    const active = activeClasses(this.s);
    const key = active.join(',');
    if (key === this.s.activeCheckers) return;
    for (const c of this.s.settings.checkerResources) {
      const value = this.s.resources[c.resource];
      if (!active.includes(c.when) && value !== undefined && value !== 'init') this.resource(c.resource, 'init', 'heart', true);
    }
    this.set({ activeCheckers: key });
    this.actions.push({ type: 'checkers', active });
  }
}

export function activeClasses(s: Pick<MirrorNode, 'state' | 'qualifier' | 'data' | 'deciding'>): WhenClass[] {
  if (!s.data.settings.checker || s.state === 'STOP') return [];
  const out: WhenClass[] = ['pre'];
  const ready = s.qualifier === 'Ready';
  if (ready && (s.state === 'ALONE' || s.state === 'PRIM')) out.push('prim', 'both');
  if (ready && s.state === 'SECOND') out.push('second', 'both');
  if (ready && (s.state === 'SECOND' || s.state === 'ALONE')) out.push('sec');
  return out;
}
