// The module runtime: one module's core machine and the executors for its actions. Events
// (commands, resources, heartbeats, script completions, clock ticks) are stepped one at a time, in
// arrival order; the actions of a step run in the order given, each finishing before the next
// starts (the contract in src/core/actions.ts), and only then is the next event stepped.
//
// Executors in this version: log lines (and their syslog copy), resources, durable data
// generations, command results, mirror heartbeats over UDP, user scripts, the mirror virtual IP,
// the checkers, errd and the split-brain witness (monitors.ts), file replication through the
// module's replicator process (replication-port.ts). Not yet: farm pulses and load balancing. A
// module that would need them is refused `start` with that reason before the machine sees it
// (docs/decisions/0007), so it never enters a state whose actions nobody performs.

import { FRESH_DATA, initialMirror, stepMirror } from '../core/mirror/machine.js';
import { initialFarm, stepFarm } from '../core/farm/machine.js';
import type { Action, PersistedData } from '../core/actions.js';
import type { MirrorCommand, MirrorEvent, MirrorHeartbeat, MirrorNode } from '../core/mirror/types.js';
import type { FarmCommand, FarmEvent, FarmNode } from '../core/farm/types.js';
import type { ClusterConfig, ModuleConfig, WhenClass } from '../shared/config.js';
import type { LogLevel, Store } from '../store/store.js';
import { runScriptBatch } from '../scripts/runner.js';
import { VipKeeper } from '../vip/keeper.js';
import { TIMING_PROFILES } from '../config/timing.js';
import { HeartbeatTransport, type ArrivalStats } from './heartbeat-transport.js';
import { Monitors } from './monitors.js';
import { farmSettings, mirrorSettings } from './settings.js';
import { ReplicationPort } from './replication-port.js';
import { paths } from '../daemon/paths.js';
import { join } from 'node:path';
import { mkdirSync } from 'node:fs';
import type { ReplicatorEvent } from '../replication/replicator.js';

export type ModuleCommand = MirrorCommand | FarmCommand;

/** The command result of a step, when its event was a command. */
type StepOutcome = { ok: boolean; message: string } | undefined;

interface Job {
  readonly event: Record<string, unknown>;
  readonly noHistoryFor?: string;
  readonly resolve: (outcome: StepOutcome) => void;
  readonly reject: (e: Error) => void;
}

export type RuntimeRequest =
  | { readonly op: 'state' }
  | { readonly op: 'command'; readonly command: ModuleCommand; readonly by: string; readonly identity?: string }
  | { readonly op: 'set'; readonly name: string; readonly value: string; readonly by: string; readonly history: boolean }
  /** rfsverify (secondary) and rfsdiff (primary): a report from the replicator. */
  | { readonly op: 'rfs'; readonly verb: 'verify' | 'diff' };

export interface ModuleStatus {
  readonly module: string;
  readonly mode: ModuleConfig['mode'];
  readonly state: string;
  readonly qualifier: string;
  readonly resources: Readonly<Record<string, string>>;
  /** When each resource last changed (ms since the epoch), for those recorded in the store. */
  readonly changedAt: Readonly<Record<string, number>>;
  /** This run of the module process, and how many times it started the application since: a
   * module checker elsewhere tells a restart of the application from these. */
  readonly incarnation: number;
  readonly appStarts: number;
  /** Mirror: how regularly the peer's heartbeats arrive, per heartbeat network. */
  readonly heartbeats?: Readonly<Record<string, ArrivalStats>>;
}

export interface RuntimeReply {
  readonly ok: boolean;
  readonly message: string;
  readonly status: ModuleStatus;
  /** The replicator's report, for an `rfs` request. */
  readonly report?: unknown;
}

export interface RuntimeEnv {
  /** The installation root (TANDEM_ROOT), to reach this node's tandemd. */
  readonly root: string;
  readonly node: string;
  readonly cluster: ClusterConfig;
  readonly incarnation: number;
  readonly store: Store;
  readonly now: () => number;
  /** The applied module directory (bin/ scripts) and the script environment. */
  readonly binDir: string;
  readonly scriptEnv: NodeJS.ProcessEnv;
  readonly userlogDir: string;
  readonly moduleKey: Buffer | null;
  /** The applied configuration's signature (`confinfo`), compared with the peer's. */
  readonly configSignature: string;
  /** Main module messages also go to the system log. */
  readonly onLog?: (level: LogLevel, component: string, text: string) => void;
}

/** Commands that only read or switch state: executable by every module. */
const ALWAYS = new Set<ModuleCommand['kind']>(['setting', 'loop', 'stop', 'forcestop', 'shutdown', 'rfssync']);
/** Commands a farm module refuses (they name mirror roles or replication). */
const MIRROR_ONLY = new Set<ModuleCommand['kind']>(['prim', 'second', 'secondforce', 'swap', 'primforce', 'rfssync']);
/** The clock ticks at half the fastest heartbeat pulse, within 10–50 ms. */
const tickMs = (config: ModuleConfig): number => Math.min(50, Math.max(10, Math.floor(Math.min(...(config.heart?.heartbeats.map((h) => h.pulseMs) ?? [100])) / 2)));

export class ModuleRuntime {
  private mirror: MirrorNode | null = null;
  private farm: FarmNode | null = null;
  /** Events waiting to be stepped: ticks and heartbeats first (see the top of this file). */
  private readonly lanes: { readonly urgent: Job[]; readonly normal: Job[] } = { urgent: [], normal: [] };
  private stepping = false;
  private tickQueued = false;
  private ticker: NodeJS.Timeout | null = null;
  private transport: HeartbeatTransport | null = null;
  private readonly vip: VipKeeper | null;
  private rejected = 0;
  private misconfigured: string | null = null;
  private activeCheckers: readonly WhenClass[] = [];
  private appStarts = 0;
  private readonly monitors: Monitors;
  private readonly rejectLogged = new Set<string>();
  private readonly replication: ReplicationPort | null = null;
  private replicationDown: string | null = null;
  /** The replicated directories were given back bare (the module is stopped). */
  private released = true;
  /** Why the primary role could not be taken in the current step: its start scripts must not run
   * (the application would write to a directory nobody replicates). */
  private unserved: string | null = null;
  /** Primary roles refused in a row: the first is retried by a stopstart, the second stops. */
  private primaryRefusals = 0;

  constructor(readonly config: ModuleConfig, private readonly env: RuntimeEnv) {
    const { store } = env;
    if (config.mode === 'mirror') {
      const saved = store.loadMirrorData<PersistedData>(config.name);
      let settings;
      try {
        settings = mirrorSettings(config, env.node, env.cluster);
      } catch (e) {
        // the module still answers state and switches; start says why it cannot run
        this.misconfigured = (e as Error).message;
        settings = mirrorSettings({ ...config, nodes: [env.node, '?'] }, env.node, env.cluster);
      }
      this.mirror = initialMirror(settings, saved ?? { ...FRESH_DATA, settings: { ...FRESH_DATA.settings, failover: config.failover } }, env.incarnation);
    } else {
      this.farm = initialFarm(farmSettings(config, env.node, env.cluster), env.incarnation);
    }
    this.restoreSwitches();
    this.restoreResources();
    store.setModuleState(config.name, 'STOP', 'NotReady');
    this.vip = config.mode === 'mirror' && config.vip
      ? new VipKeeper(config.vip, config.name, (level, text) => this.log(level, 'vipplug', text), (name, value) => void this.submit({ type: 'resource', name, value, by: 'vipplug' }, name), TIMING_PROFILES[config.timing].checkIntervalMs)
      : null;
    if (this.mirror && config.rfs && !this.misconfigured) {
      const p = paths(env.root);
      const stateDir = join(p.lib, 'modules', config.name);
      mkdirSync(stateDir, { recursive: true });
      mkdirSync(p.run, { recursive: true });
      this.replication = new ReplicationPort({
        config, node: env.node, peer: this.mirror.settings.peer, cluster: env.cluster, etc: p.etc, stateDir,
        pidFile: join(p.run, `replicator.${config.name}.pid`), sideDir: join(p.run, 'rfs', config.name), onEvent: (e) => this.onReplicator(e),
      });
    }
    this.monitors = new Monitors(config, {
      root: env.root, node: env.node, cluster: env.cluster, binDir: env.binDir, scriptEnv: env.scriptEnv, userlogDir: this.userlogDir(),
      log: (level, component, text) => this.log(level, component, text),
      setResource: (name, value, by) => this.submit({ type: 'resource', name, value, by }),
      command: (command, by) => this.submit({ type: 'command', command, by, identity: by }),
    });
  }

  /** Why this module cannot run in this version, or null when it can. */
  private cannotRun(): string | null {
    if (this.misconfigured) return this.misconfigured;
    if (this.farm) return 'farm modules cannot start yet: their pulses and load balancing come after the mirror failover runtime (docs/roadmap.md)';
    if (this.replication && !this.replication.running) return `its replicator process is not running: ${this.replicationDown ?? 'not started yet'}`;
    return null;
  }

  /** Opens the heartbeat sockets and starts the clock. */
  async start(): Promise<void> {
    if (this.mirror && !this.misconfigured) {
      // a new module process is never primary: a VIP left by a killed one would answer ARP beside
      // the real primary's (a duplicate address), so it goes first
      await this.vip?.removeStale();
      await this.startReplicator();
      const heart = this.config.heart!;
      this.transport = new HeartbeatTransport({
        module: this.config.name, node: this.env.node, peer: this.mirror.settings.peer, cluster: this.env.cluster,
        links: heart.heartbeats.map((h) => ({ ident: h.ident, lan: h.lan, pulseMs: h.pulseMs, timeoutMs: h.timeoutMs })), port: heart.port, moduleKey: this.env.moduleKey, incarnation: this.env.incarnation,
        onHeartbeat: (ident, message) => void this.submit({ type: 'heartbeat', ident, message }),
        onRejected: (ident, from, reason) => this.onRejected(ident, from, reason),
        configSignature: this.env.configSignature,
        onOtherConfig: (ident, sig) => this.log('E', 'heart', `Heartbeat ${ident}: ${this.mirror!.settings.peer} runs another configuration of ${this.config.name} (signature ${sig || 'none'}, here ${this.env.configSignature}): the nodes may disagree on rules, checkers and scripts; give it this one with "tandem -H ${this.mirror!.settings.peer} -E ${this.config.name}"`),
      });
      await this.transport.start();
    }
    this.ticker = setInterval(() => {
      if (this.tickQueued) return;
      this.tickQueued = true;
      // after this turn's I/O: when the process was held up (a slow disk), the peer's heartbeats
      // waiting in the socket are read before the tick judges them missing (timers run first)
      setImmediate(() => void this.submit({ type: 'tick' }).finally(() => { this.tickQueued = false; }));
    }, tickMs(this.config));
  }

  stop(): void {
    if (this.ticker) clearInterval(this.ticker);
    this.transport?.stop();
    this.monitors.stop();
    this.vip?.stopTimers();
  }

  /** Stops the replicator (it unmounts the replicated directories) before the process ends. */
  async stopReplication(): Promise<void> {
    await this.replication?.stop();
  }

  status(): ModuleStatus {
    const m = this.mirror ?? this.farm!;
    const changedAt = Object.fromEntries(this.env.store.resources(this.config.name).map((r) => [r.name, r.updatedAt]));
    // the rejected-heartbeat counter lives in memory: a flood of forged frames must not mean a
    // durable store write per frame on the path that receives heartbeats
    const resources = this.rejected ? { ...m.resources, 'heartbeat.rejected': String(this.rejected) } : m.resources;
    return { module: this.config.name, mode: this.config.mode, state: m.state, qualifier: m.qualifier, resources, changedAt, incarnation: this.env.incarnation, appStarts: this.appStarts, heartbeats: this.transport?.stats() };
  }

  async handle(request: RuntimeRequest): Promise<RuntimeReply> {
    if (request.op === 'state') return this.reply(true, 'ok');
    if (request.op === 'set') {
      const r = await this.submit({ type: 'resource', name: request.name, value: request.value, by: request.by }, request.history ? undefined : request.name);
      return this.reply(true, r?.message ?? `${request.name} = ${request.value}`);
    }
    if (request.op === 'rfs') {
      if (!this.replication) return this.reply(false, `module ${this.config.name} replicates no directory (no <rfs> in its configuration)`);
      try {
        return { ...this.reply(true, request.verb), report: await this.replication.command({ type: request.verb }) };
      } catch (e) {
        return this.reply(false, (e as Error).message);
      }
    }
    const { command } = request;
    const why = this.cannotRun();
    if (why && !ALWAYS.has(command.kind)) return this.reply(false, `"${command.kind}" refused: ${why}`);
    if (command.kind === 'setting' && command.setting === 'failover' && this.farm) return this.reply(false, 'failover on|off applies to mirror modules only');
    if (MIRROR_ONLY.has(command.kind) && this.farm) return this.reply(false, `${command.kind} applies to mirror modules only`);
    const r = await this.submit({ type: 'command', command, by: request.by, identity: request.identity });
    return this.reply(r?.ok ?? true, r?.message ?? 'done');
  }

  private reply(ok: boolean, message: string): RuntimeReply {
    return { ok, message, status: this.status() };
  }

  /** Queues an event; resolves with the command result of its step, after its actions ran. */
  private submit(event: Record<string, unknown>, noHistoryFor?: string): Promise<StepOutcome> {
    return new Promise((resolve, reject) => {
      const lane = event.type === 'tick' || event.type === 'heartbeat' ? this.lanes.urgent : this.lanes.normal;
      lane.push({ event, noHistoryFor, resolve, reject });
      void this.drain();
    });
  }

  private async drain(): Promise<void> {
    if (this.stepping) return;
    this.stepping = true;
    try {
      for (let job = this.next(); job; job = this.next()) {
        try { job.resolve(await this.step(job.event, job.noHistoryFor)); } catch (e) { job.reject(e as Error); }
      }
    } finally {
      this.stepping = false;
    }
  }

  private next(): Job | undefined {
    return this.lanes.urgent.shift() ?? this.lanes.normal.shift();
  }

  private async step(event: Record<string, unknown>, noHistoryFor?: string): Promise<StepOutcome> {
    const e = { ...event, now: this.env.now() };
    let actions: readonly Action[];
    if (this.mirror) ({ state: this.mirror, actions } = stepMirror(this.mirror, e as MirrorEvent));
    else ({ state: this.farm, actions } = stepFarm(this.farm!, e as FarmEvent));
    let result: { ok: boolean; message: string } | undefined;
    for (const a of actions) {
      if (a.type === 'commandResult') result = { ok: a.ok, message: a.message };
      else await this.execute(a, noHistoryFor);
    }
    if (this.mirror?.state === 'STOP') await this.releaseDirectories();
    if (this.unserved !== null) this.primaryRoleRefused(this.unserved);
    return result;
  }

  private log(level: LogLevel, component: string, text: string): void {
    this.env.store.appendLog(this.config.name, component, level, text);
    if (level !== 'I' && level !== 'D') this.env.onLog?.(level, component, text);
  }

  private async execute(a: Action, noHistoryFor?: string): Promise<void> {
    const { store } = this.env;
    const name = this.config.name;
    switch (a.type) {
      case 'log': return this.log(a.level, a.component, a.text);
      case 'setResource':
        store.setResource(name, a.name, a.value, a.by, a.name !== noHistoryFor);
        if (a.name === 'state.local') store.setModuleState(name, ...(a.value.split(' ') as [string, string]));
        if (a.name.startsWith('usersetting.')) this.applyRunners(); // a checker or errd switch changed
        return;
      case 'persist': return store.saveMirrorData(name, a.data);
      case 'sendHeartbeat': return this.transport?.send(a.idents, a.message as MirrorHeartbeat);
      case 'runScripts': {
        const batch = a.batch;
        const startsApp = a.scripts.some((c) => c.script === 'start_prim' || c.script === 'start_both');
        if (startsApp && this.unserved !== null) {
          this.log('C', 'userplug', 'Start scripts not run, the application stays stopped: the replicated directories are not served');
          void this.submit({ type: 'scriptsDone', batch, ok: false });
          return;
        }
        if (startsApp) this.appStarts++;
        void runScriptBatch(a.scripts, { binDir: this.env.binDir, env: this.env.scriptEnv, userlogDir: this.userlogDir(), timeoutMs: this.config.user?.nicestoptimeoutMs ?? 300_000,
          onStart: (c) => this.log('S', 'userplug', `Script ${c.script} ${c.args.join(' ')}`) })
          .then((outcomes) => {
            for (const o of outcomes.filter((x) => x.code !== 0)) this.log('E', 'userplug', `Script ${o.script} ${o.timedOut ? 'killed after its timeout' : `failed (exit ${o.code})`}`);
            return this.submit({ type: 'scriptsDone', batch, ok: outcomes.every((o) => o.code === 0) });
          }, (e: Error) => {
            this.log('C', 'userplug', `Scripts could not run: ${e.message}`);
            return this.submit({ type: 'scriptsDone', batch, ok: false });
          });
        return;
      }
      case 'addVip': return this.vip?.set();
      case 'removeVip': return this.vip?.unset();
      case 'setReplication': {
        if (!this.replication) return; // a mirror without <rfs> has nothing to replicate
        if (a.role !== 'none') this.released = false;
        // awaited: the primary's directories are mounted before the start scripts that follow
        return this.replication.setRole(a.role, this.mirror!.data.generation).then(() => {
          if (a.role === 'primary') this.primaryRefusals = 0;
        }, (e: Error) => {
          this.log('C', 'nfsadmin', `Replication role ${a.role} could not be taken: ${e.message}`);
          if (a.role === 'primary') this.unserved = e.message;
          if (a.role === 'secondary') void this.submit({ type: 'resyncDone', ok: false });
        });
      }
      case 'startResync':
        await this.replication?.command({ type: 'resync', mode: a.mode, sinceMs: a.sinceMs, seed: a.seed }).catch((e: Error) => {
          this.log('C', 'reintegre', `Reintegration could not start: ${e.message}`);
          void this.submit({ type: 'resyncDone', ok: false });
        });
        return;
      case 'recordSeed':
        await this.replication?.command({ type: 'seed', uid: a.uid }).catch((e: Error) => this.log('C', 'nfsadmin', `External synchronization ${a.uid} could not start: ${e.message}`));
        return;
      case 'checkers':
        this.activeCheckers = a.active;
        return this.applyRunners();
      case 'checkWitness':
        void this.monitors.askWitness().catch((e: Error) => this.log('C', 'splitbrain', `The witness could not be asked: ${e.message}`));
        return;
      case 'setBuckets': case 'commandResult':
        throw new Error(`internal: action ${a.type} reached a runtime that cannot execute it`);
    }
  }

  /**
   * The module is stopped at the end of a step (not a stopstart passing through STOP, which would
   * leave the directories bare while the application may still write): the replicated directories
   * are given back bare, for maintenance.
   */
  private async releaseDirectories(): Promise<void> {
    if (this.released || !this.replication?.running) return;
    this.released = true;
    await this.replication.command({ type: 'release' }).catch((e: Error) => this.log('C', 'nfsadmin', `The replicated directories could not be released: ${e.message}`));
  }

  private onReplicator(e: ReplicatorEvent | { type: 'exited'; reason: string }): void {
    switch (e.type) {
      case 'log': return this.log(e.level, 'nfsadmin', e.text);
      // shown by state -v; changes every second during a reintegration: no history, no log line
      case 'progress': void this.submit({ type: 'resource', name: 'rfs.reintegration', value: e.text, by: 'reintegre' }, 'rfs.reintegration'); return;
      case 'secondaryLost': void this.submit({ type: 'secondaryLost' }); return;
      case 'resyncDone': void this.submit({ type: 'resyncDone', ok: e.ok, generation: e.generation }); return;
      case 'failed': case 'exited': void this.replicationFailed(e.type === 'exited', e.reason); return;
    }
  }

  /** Starts the replicator process; when it cannot run, `start` is refused with the reason. */
  private async startReplicator(): Promise<void> {
    await this.replication?.start().catch((e: Error) => {
      this.replicationDown = e.message;
      this.log('C', 'nfsadmin', `The replication cannot run: ${e.message}`);
    });
  }

  /**
   * The replication of this node broke: its replicator died, or a replicated directory is no longer
   * served. A dead FUSE mount answers the application ENOTCONN (it never reaches the directory
   * underneath), so the application is stopped through its stop scripts before anything is
   * mounted again: a new replicator first (it detaches the dead mounts at its next role change),
   * then the module's stopstart (DESIGN §5: degraded mode, in this order). Its map of changes died
   * with it: the next reintegration is a full synchronization. On a secondary, the primary sees
   * the stream end and the reintegration that follows needs only the new replicator.
   */
  private async replicationFailed(exited: boolean, reason: string): Promise<void> {
    const primary = this.mirror?.dataRole === 'primary';
    this.log('C', 'nfsadmin', `Replication failure: ${reason}${primary ? ': the application is stopped and the module started again' : ''}`);
    if (exited) await this.startReplicator();
    if (primary) await this.submit({ type: 'command', command: { kind: 'stopstart' }, by: 'nfsadmin', identity: 'nfsadmin' });
  }

  /**
   * The replicated directories could not be served as the primary's: the step did not run its start
   * scripts (see runScripts), so nothing wrote to them. A stopstart (with a new replicator if it
   * died) tries once more: a stale mount, a passing failure; a second refusal in a row stops the module, and
   * the peer, if its copy is up to date, takes over as the failover rules say.
   */
  private primaryRoleRefused(reason: string): void {
    this.unserved = null;
    this.primaryRefusals++;
    if (this.primaryRefusals === 1) {
      this.log('C', 'nfsadmin', `The primary role was refused (${reason}): the module is started again`);
      const replicator = this.replication?.running ? Promise.resolve() : this.startReplicator();
      void replicator.then(() => this.submit({ type: 'command', command: { kind: 'stopstart' }, by: 'nfsadmin', identity: 'nfsadmin' }));
      return;
    }
    this.primaryRefusals = 0;
    this.log('C', 'nfsadmin', `The primary role was refused again (${reason}): the module is stopped; fix the cause (see the lines above) and start it again`);
    void this.submit({ type: 'command', command: { kind: 'stop' }, by: 'nfsadmin', identity: 'nfsadmin' });
  }

  /** Checkers and errd follow the active classes and the switches in the machine's resources. */
  private applyRunners(): void {
    this.monitors.apply(this.activeCheckers, (this.mirror ?? this.farm)!.resources);
  }

  private userlogDir(): string | null {
    return this.config.user?.logging === 'none' ? null : this.env.userlogDir;
  }

  private onRejected(ident: string, from: string, reason: string): void {
    this.rejected++;
    const key = `${from} ${reason}`;
    if (this.rejectLogged.has(key)) return;
    this.rejectLogged.add(key);
    this.log('E', 'heart', `Heartbeat ${ident} from ${from} dropped: ${reason}`);
  }

  /** Resources the machine does not derive itself (custom.*, usersetting.boot…) survive a restart of the process. */
  private restoreResources(): void {
    const stored = Object.fromEntries(this.env.store.resources(this.config.name).map((r) => [r.name, r.value]));
    if (this.mirror) this.mirror = { ...this.mirror, resources: { ...stored, ...this.mirror.resources } };
    if (this.farm) this.farm = { ...this.farm, resources: { ...stored, ...this.farm.resources } };
  }

  /** The farm machine starts with its switches on: replay the persisted ones (mirror keeps them in its data). */
  private restoreSwitches(): void {
    if (!this.farm) return;
    for (const setting of ['errd', 'checker'] as const) {
      if (this.env.store.resource(this.config.name, `usersetting.${setting}`)?.value === 'off') {
        ({ state: this.farm } = stepFarm(this.farm, { type: 'command', now: this.env.now(), command: { kind: 'setting', setting, on: false }, by: 'restore', identity: 'restore' }));
      }
    }
  }
}
