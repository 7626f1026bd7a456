// What watches the application for one module: the periodic checkers, errd (processes and
// services, with their actions or handler programs) and the split-brain witness. They follow the
// classes the core announces active and the on|off switches; what they find goes back to the core
// as resource events or commands, through `submit` — never straight to an executor.

import type { ClusterConfig, ModuleConfig, ProcCheck, WhenClass } from '../shared/config.js';
import type { ModuleCommand } from './runtime.js';
import { ERRD_ACTIONS, ErrdRunner } from '../checkers/errd.js';
import { CheckerRunner } from '../checkers/runner.js';
import { askWitnesses } from '../checkers/witness.js';
import type { LogLevel } from '../store/store.js';
import { runScriptBatch } from '../scripts/runner.js';

export interface MonitorsEnv {
  readonly root: string;
  readonly node: string;
  readonly cluster: ClusterConfig;
  readonly binDir: string;
  readonly scriptEnv: NodeJS.ProcessEnv;
  readonly userlogDir: string | null;
  readonly log: (level: LogLevel, component: string, text: string) => void;
  /** A resource value for the core (resolves once it was stepped). */
  readonly setResource: (name: string, value: string, by: string) => Promise<unknown>;
  /** A command for the core; resolves with its result. */
  readonly command: (command: ModuleCommand, by: string) => Promise<{ ok: boolean; message: string } | undefined>;
}

export class Monitors {
  private readonly checkers: CheckerRunner;
  private readonly errd: ErrdRunner;

  constructor(private readonly config: ModuleConfig, private readonly env: MonitorsEnv) {
    this.errd = new ErrdRunner(config.errd?.procs ?? [], config.errd?.polltimerMs ?? 30_000, (p, message) => void this.onErrdFailure(p, message));
    this.checkers = new CheckerRunner(config.checkers, (name, value, by) => void env.setResource(name, value, by), {
      module: config.name, binDir: env.binDir, env: env.scriptEnv,
      moduleCheck: { root: env.root, node: env.node, cluster: env.cluster },
      onExit: (ident, code) => env.log('E', 'checker', `Custom checker ${ident} exited (${code === null ? 'killed' : `code ${code}`}); it is started again when its class is next active`),
      onDownReason: (c, reason) => env.log('E', 'modulecheck', `Module ${c.target.name} watched by ${c.resource}: ${reason}`),
      onModuleRestart: (c) => void this.act('stopstart', 'modulecheck', `module ${c.target.name} restarted`),
    });
  }

  /**
   * The active classes, the checker and errd switches and the custom errd classes switched on, all
   * read from the core's resources (usersetting.checker, usersetting.errd, usersetting.errdclass.*).
   */
  apply(active: readonly WhenClass[], resources: Readonly<Record<string, string>>): void {
    const customOn = new Set(Object.entries(resources).filter(([k, v]) => k.startsWith('usersetting.errdclass.') && v === 'on').map(([k]) => k.slice('usersetting.errdclass.'.length)));
    this.errd.update(active, resources['usersetting.errd'] !== 'off', customOn);
    this.checkers.setActive(active, resources['usersetting.checker'] !== 'off');
  }

  stop(): void {
    this.checkers.stop();
    this.errd.stop();
  }

  /** Every heartbeat is lost: ask the witnesses; the verdict goes to the core as splitbrain.uptodate. */
  async askWitness(): Promise<void> {
    const c = this.config.checkers.find((k) => k.type === 'splitbrain');
    if (!c) return;
    const { asked, answered } = await askWitnesses(c, this.env.binDir, this.env.scriptEnv);
    const verdict = answered.length ? 'up' : 'down';
    this.env.log('E', 'splitbrain', answered.length ? `Witness ${answered.join(', ')} answered: this node may go alone` : `No witness answered (${asked.join(', ')}): this node must not go alone`);
    await this.env.setResource(c.resource, verdict, 'splitbraincheck');
    await this.env.setResource('splitbrain.uptodate', verdict, 'splitbraincheck');
  }

  private async onErrdFailure(p: ProcCheck, message: string): Promise<void> {
    this.env.log('E', 'errd', message);
    if (ERRD_ACTIONS.has(p.action)) {
      if (p.action !== 'noaction') await this.act(p.action as ModuleCommand['kind'], 'errd', `${p.name}`);
    } else {
      // a handler program: exit 0 means it repaired things; anything else ⇒ stopstart (§5.10)
      const [outcome] = await runScriptBatch([{ script: p.action, args: [this.config.name, p.name] }], {
        binDir: this.env.binDir, env: this.env.scriptEnv, userlogDir: this.env.userlogDir, timeoutMs: this.config.user?.nicestoptimeoutMs ?? 300_000,
        onStart: () => this.env.log('S', 'errd', `Handler ${p.action} for ${p.name}`),
      });
      if (outcome?.code === 0) this.env.log('E', 'errd', `Handler ${p.action} for ${p.name} succeeded`);
      else {
        this.env.log('E', 'errd', `Handler ${p.action} for ${p.name} ${outcome ? (outcome.timedOut ? 'killed after its timeout' : `failed (exit ${outcome.code})`) : 'is missing'}: stopstart`);
        await this.act('stopstart', 'errd', p.name);
      }
    }
    this.errd.rearm(p.name);
  }

  private async act(kind: ModuleCommand['kind'], by: string, what: string): Promise<void> {
    const r = await this.env.command({ kind } as ModuleCommand, by);
    if (r && !r.ok) this.env.log('E', by, `Action ${kind} for ${what} refused: ${r.message}`);
  }
}
