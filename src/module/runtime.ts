// The module runtime: one module's core machine with the executors this version has. It feeds the
// machine events (commands, resources, clock ticks) and executes the actions it returns, in order
// (the contract in src/core/actions.ts): log lines and resources into the node store, data
// generations durably, command results back to the caller.
//
// Heartbeats, user scripts, virtual IPs, checkers and replication are executed by the failover
// runtime that comes next (docs/roadmap.md). Until then the commands that need them are refused
// here, before the machine sees them, with that reason; the switches (failover/errd/checker), the
// loop counter and resources work on the stopped module and persist.

import { FRESH_DATA, initialMirror, stepMirror } from '../core/mirror/machine.js';
import { initialFarm, stepFarm } from '../core/farm/machine.js';
import type { Action, PersistedData } from '../core/actions.js';
import type { MirrorCommand, MirrorNode } from '../core/mirror/types.js';
import type { FarmCommand, FarmNode } from '../core/farm/types.js';
import type { ClusterConfig, ModuleConfig } from '../shared/config.js';
import type { LogLevel, Store } from '../store/store.js';
import { farmSettings, mirrorSettings } from './settings.js';

export type ModuleCommand = MirrorCommand | FarmCommand;

export type RuntimeRequest =
  | { readonly op: 'state' }
  | { readonly op: 'command'; readonly command: ModuleCommand; readonly by: string; readonly identity?: string }
  | { readonly op: 'set'; readonly name: string; readonly value: string; readonly by: string; readonly history: boolean };

export interface ModuleStatus {
  readonly module: string;
  readonly mode: ModuleConfig['mode'];
  readonly state: string;
  readonly qualifier: string;
  readonly resources: Readonly<Record<string, string>>;
  /** When each resource last changed (ms since the epoch), for those recorded in the store. */
  readonly changedAt: Readonly<Record<string, number>>;
}

export interface RuntimeReply {
  readonly ok: boolean;
  readonly message: string;
  readonly status: ModuleStatus;
}

/** Commands this version executes; the rest need the failover runtime's executors. */
const EXECUTABLE = new Set<ModuleCommand['kind']>(['setting', 'loop']);

export interface RuntimeHooks {
  /** Main module messages also go to the system log. */
  readonly onLog?: (level: LogLevel, component: string, text: string) => void;
}

export class ModuleRuntime {
  private mirror: MirrorNode | null = null;
  private farm: FarmNode | null = null;

  constructor(
    readonly config: ModuleConfig,
    node: string,
    cluster: ClusterConfig,
    incarnation: number,
    private readonly store: Store,
    private readonly now: () => number,
    private readonly hooks: RuntimeHooks = {},
  ) {
    if (config.mode === 'mirror') {
      const saved = store.loadMirrorData<PersistedData>(config.name);
      this.mirror = initialMirror(mirrorSettings(config, node, cluster), saved ?? { ...FRESH_DATA, settings: { ...FRESH_DATA.settings, failover: config.failover } }, incarnation);
    } else {
      this.farm = initialFarm(farmSettings(config, node, cluster), incarnation);
    }
    this.restoreSwitches();
    this.restoreResources();
    store.setModuleState(config.name, 'STOP', 'NotReady');
  }

  status(): ModuleStatus {
    const m = this.mirror ?? this.farm!;
    const changedAt = Object.fromEntries(this.store.resources(this.config.name).map((r) => [r.name, r.updatedAt]));
    return { module: this.config.name, mode: this.config.mode, state: m.state, qualifier: m.qualifier, resources: m.resources, changedAt };
  }

  handle(request: RuntimeRequest): RuntimeReply {
    if (request.op === 'state') return this.reply(true, 'ok');
    if (request.op === 'set') {
      const result = this.step({ type: 'resource', name: request.name, value: request.value, by: request.by }, request.history ? undefined : request.name);
      return this.reply(true, result ?? `${request.name} = ${request.value}`);
    }
    const { command } = request;
    const stopWhileStopped = this.status().state === 'STOP' && (command.kind === 'stop' || command.kind === 'forcestop' || command.kind === 'shutdown');
    if (!EXECUTABLE.has(command.kind) && !stopWhileStopped) {
      return this.reply(false, `"${command.kind}" is not available in this version: it installs, configures and supervises modules, and running them (heartbeats, scripts, virtual IP) comes with the failover runtime (docs/roadmap.md)`);
    }
    if (command.kind === 'setting' && command.setting === 'failover' && this.farm) return this.reply(false, 'failover on|off applies to mirror modules only');
    const ok: { value: boolean } = { value: true };
    const message = this.step({ type: 'command', command, by: request.by, identity: request.identity }, undefined, ok);
    return this.reply(ok.value, message ?? 'done');
  }

  /** A clock tick: rules periods and timeouts advance. */
  tick(): void {
    this.step({ type: 'tick' });
  }

  private reply(ok: boolean, message: string): RuntimeReply {
    return { ok, message, status: this.status() };
  }

  /** Steps the machine and executes its actions; returns the command result message, if any. */
  private step(event: Record<string, unknown>, noHistoryFor?: string, ok?: { value: boolean }): string | undefined {
    const e = { ...event, now: this.now() } as never;
    let actions: readonly Action[];
    if (this.mirror) ({ state: this.mirror, actions } = stepMirror(this.mirror, e));
    else ({ state: this.farm, actions } = stepFarm(this.farm!, e));
    let message: string | undefined;
    for (const a of actions) {
      switch (a.type) {
        case 'log':
          this.store.appendLog(this.config.name, a.component, a.level, a.text);
          if (a.level !== 'I' && a.level !== 'D') this.hooks.onLog?.(a.level, a.component, a.text);
          break;
        case 'setResource':
          this.store.setResource(this.config.name, a.name, a.value, a.by, a.name !== noHistoryFor);
          if (a.name === 'state.local') this.store.setModuleState(this.config.name, ...(a.value.split(' ') as [string, string]));
          break;
        case 'persist': this.store.saveMirrorData(this.config.name, a.data); break;
        case 'commandResult': message = a.message; if (ok) ok.value = a.ok; break;
        case 'checkers': break; // no checker runs while the module is stopped
        // A stopped module still announces STOP to its peer; the heartbeat transport comes with the
        // failover runtime, and until then a module never leaves STOP, so nothing depends on it.
        case 'sendHeartbeat': break;
        default: throw new Error(`internal: action ${a.type} reached a runtime that cannot execute it`);
      }
    }
    return message;
  }

  /** Resources the machine does not derive itself (custom.*, usersetting.boot…) survive a restart of the process. */
  private restoreResources(): void {
    const stored = Object.fromEntries(this.store.resources(this.config.name).map((r) => [r.name, r.value]));
    if (this.mirror) this.mirror = { ...this.mirror, resources: { ...stored, ...this.mirror.resources } };
    if (this.farm) this.farm = { ...this.farm, resources: { ...stored, ...this.farm.resources } };
  }

  /** The farm machine starts with its switches on: replay the persisted ones (mirror keeps them in its data). */
  private restoreSwitches(): void {
    if (!this.farm) return;
    for (const setting of ['errd', 'checker'] as const) {
      if (this.store.resource(this.config.name, `usersetting.${setting}`)?.value === 'off') {
        ({ state: this.farm } = stepFarm(this.farm, { type: 'command', now: this.now(), command: { kind: 'setting', setting, on: false }, by: 'restore', identity: 'restore' }));
      }
    }
  }
}
