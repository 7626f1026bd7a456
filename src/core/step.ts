// A step under construction: the next state and the actions, in order. Each step starts from the
// state it was given and never mutates it. Shared by the mirror and farm machines.

import { formatState, type ModuleState, type Qualifier } from '../shared/states.js';
import type { WhenClass } from '../shared/config.js';
import { log, type Action, type LogLevel, type ScriptCall } from './actions.js';
import type { ScriptCause } from './scripts.js';
import { loopCommand, type LoopCounter, type LoopOp } from './rules/maxloop.js';

/** What every module machine state has, whatever its mode. */
export interface ModuleStateBase<S extends ModuleState, C> {
  readonly state: S;
  readonly qualifier: Qualifier;
  readonly resources: Readonly<Record<string, string>>;
  readonly batch: number;
  readonly pending: { readonly batch: number; readonly then: C; readonly cause: ScriptCause } | null;
  /** The checker classes last announced (comma-joined), to announce changes only. */
  readonly activeCheckers: string;
  readonly loop: LoopCounter;
  readonly settings: { readonly maxloop: number; readonly loopIntervalMs: number };
}

export class Step<S extends ModuleState, C, T extends ModuleStateBase<S, C>> {
  readonly actions: Action[] = [];
  constructor(
    public s: T,
    readonly now: number,
    private readonly checkers: {
      readonly active: (s: T) => WhenClass[];
      readonly resources: (s: T) => readonly { readonly resource: string; readonly when: WhenClass }[];
    },
    private readonly component: string,
  ) {}

  set(patch: Partial<T>): void {
    this.s = { ...this.s, ...patch };
  }

  log(level: LogLevel, text: string, component = this.component): void {
    this.actions.push(log(level, component, text));
  }

  resource(name: string, value: string, by: string, quiet = false): void {
    if (this.s.resources[name] === value) return;
    this.set({ resources: { ...this.s.resources, [name]: value } } as Partial<T>);
    this.actions.push({ type: 'setResource', name, value, by });
    if (!quiet) this.log('E', `Resource ${name} set to ${value} by ${by}`, by);
  }

  state(state: S, qualifier: Qualifier): void {
    if (this.s.state === state && this.s.qualifier === qualifier) return;
    this.set({ state, qualifier } as Partial<T>);
    this.log('E', `Local state ${formatState(state, qualifier)}`);
    this.resource('state.local', `${state} ${qualifier}`, this.component, true);
    this.updateCheckers();
  }

  scripts(scripts: readonly ScriptCall[], then: C, cause: ScriptCause): void {
    const batch = this.s.batch + 1;
    this.set({ batch, pending: { batch, then, cause } } as Partial<T>);
    this.actions.push({ type: 'runScripts', batch, scripts });
  }

  /** incloop / resetloop / checkloop: answered at once, never queued (scripts call them while scripts run). */
  loopCommand(op: LoopOp, caller: string): void {
    const r = loopCommand(this.s.loop, op, this.now, this.s.settings.maxloop, this.s.settings.loopIntervalMs);
    if (op !== 'check') {
      this.set({ loop: r.loop } as Partial<T>);
      this.resource('heart.stopstartloop', r.loop.since === null ? '0' : String(r.loop.since), caller, true);
      this.log('I', `${op}loop by ${caller}: ${r.message}`);
    }
    this.actions.push({ type: 'commandResult', ok: r.ok, message: r.message });
  }

  push(action: Action): void {
    this.actions.push(action);
  }

  /** Checker classes follow the state (SAFEKIT-BEHAVIOUR §5.11, §6.3); stopped ones read `init` again. */
  updateCheckers(): void {
    const active = this.checkers.active(this.s);
    const key = active.join(',');
    if (key === this.s.activeCheckers) return;
    for (const c of this.checkers.resources(this.s)) {
      const value = this.s.resources[c.resource];
      if (!active.includes(c.when) && value !== undefined && value !== 'init') this.resource(c.resource, 'init', this.component, true);
    }
    this.set({ activeCheckers: key } as Partial<T>);
    this.actions.push({ type: 'checkers', active });
  }
}
