// The per-node store. Every write is one transaction; the database runs in WAL mode with
// synchronous=FULL, so a committed transaction survives a crash of the process or the machine,
// and a transaction cut by SIGKILL leaves nothing behind — except log lines and resource values
// (appendLog, setResource), committed with synchronous=NORMAL: they survive a crash of the
// process, and a power loss once the next FULL commit or checkpoint has synced the log. The
// module process writes them on the thread that sends its heartbeats: an fsync per line, on a
// disk busy with a resynchronisation, held that thread past the heartbeat timeout (a false loss
// of the peer, seen in the replication benchmark); what the core persists stays FULL.

import Database from 'better-sqlite3';
import type { Clock } from '../shared/ports.js';
import { MIGRATIONS } from './schema.js';

export type LogLevel = 'U' | 'E' | 'C' | 'S' | 'I' | 'D';

export interface LogEntry {
  readonly id: number;
  readonly module: string;
  /** Microseconds since the epoch. */
  readonly atUs: number;
  readonly component: string;
  readonly level: LogLevel;
  readonly text: string;
}

export interface CommandEntry {
  readonly id: number;
  readonly atUs: number;
  readonly type: string;
  readonly module: string;
  readonly pid: number;
  readonly phase: 'START' | 'END' | 'I';
  readonly text: string;
}

export interface ResourceRow {
  readonly name: string;
  readonly value: string;
  readonly updatedAt: number;
  readonly by: string;
}

export interface Retention {
  /** History rows kept per module and resource. */
  readonly resourceHistory: number;
  /** Module log rows kept per module. */
  readonly moduleLog: number;
  /** Command log rows kept. */
  readonly commandLog: number;
}

export const DEFAULT_RETENTION: Retention = { resourceHistory: 1000, moduleLog: 100_000, commandLog: 20_000 };

/** Levels shown by `log`/`logview` without -A (SAFEKIT-BEHAVIOUR §10.1). */
export const NORMAL_LEVELS: readonly LogLevel[] = ['U', 'E', 'C', 'S'];

export class Store {
  private readonly db: Database.Database;
  private writesSincePrune = 0;

  constructor(path: string, private readonly clock: Clock, private readonly retention: Retention = DEFAULT_RETENTION, options: { readonly readonly?: boolean } = {}) {
    this.db = new Database(path, { readonly: options.readonly ?? false, fileMustExist: options.readonly ?? false });
    if (!options.readonly) {
      this.db.pragma('journal_mode = WAL');
      this.db.pragma('synchronous = FULL');
      this.migrate();
    }
  }

  close(): void {
    this.db.close();
  }

  /** Runs a write committed without an fsync of its own (see the top of this file); inside
   * another transaction, that transaction's commit decides (SQLite cannot change it there). */
  private relaxed<T>(write: () => T): T {
    if (this.db.inTransaction) return write();
    this.db.pragma('synchronous = NORMAL');
    try {
      return write();
    } finally {
      this.db.pragma('synchronous = FULL');
    }
  }

  get schemaVersion(): number {
    return this.db.pragma('user_version', { simple: true }) as number;
  }

  private migrate(): void {
    const current = this.schemaVersion;
    if (current > MIGRATIONS.length) {
      throw new Error(`the store was written by a newer tandem (schema ${current}, this one knows ${MIGRATIONS.length}); upgrade tandem before using it`);
    }
    for (let v = current; v < MIGRATIONS.length; v++) {
      this.db.transaction(() => {
        this.db.exec(MIGRATIONS[v]);
        this.db.pragma(`user_version = ${v + 1}`);
      })();
    }
  }

  private nowMs(): number {
    return Math.floor(this.clock.now());
  }

  /** Runs `fn` in one transaction: all of its writes commit together or not at all. */
  transaction<T>(fn: () => T): T {
    return this.db.transaction(fn)();
  }

  // --- node facts ---------------------------------------------------------------------------

  /**
   * Increments and returns an incarnation: every daemon start (key "incarnation") and every start of
   * a module process ("incarnation:AM") gets a larger one, so peers never mistake new messages for
   * replays of old ones.
   */
  nextIncarnation(key = 'incarnation'): number {
    return this.transaction(() => {
      const row = this.db.prepare('SELECT value FROM node_meta WHERE key = ?').get(key) as { value: string } | undefined;
      const next = (row ? Number(row.value) : 0) + 1;
      this.db.prepare('INSERT INTO node_meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value').run(key, String(next));
      return next;
    });
  }

  meta(key: string): string | null {
    const row = this.db.prepare('SELECT value FROM node_meta WHERE key = ?').get(key) as { value: string } | undefined;
    return row?.value ?? null;
  }

  setMeta(key: string, value: string): void {
    this.db.prepare('INSERT INTO node_meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value').run(key, value);
  }

  // --- installed modules --------------------------------------------------------------------

  /** Records an installed module; `id` must be free (the UNIQUE constraint refuses a duplicate). */
  addModule(name: string, id: number): void {
    this.db.prepare('INSERT INTO module_catalog (name, id, installed_at) VALUES (?, ?, ?) ON CONFLICT (name) DO UPDATE SET id = excluded.id').run(name, id, this.nowMs());
  }

  removeModule(name: string): void {
    this.transaction(() => {
      for (const table of ['module_catalog WHERE name', 'module_state WHERE module', 'mirror_data WHERE module', 'resource WHERE module', 'resource_history WHERE module']) {
        this.db.prepare(`DELETE FROM ${table} = ?`).run(name);
      }
    });
  }

  /** `clean log`: forget every module log line of `module`. */
  clearLog(module: string): number {
    return this.db.prepare('DELETE FROM module_log WHERE module = ?').run(module).changes;
  }

  /** `clean resource`: forget the resources of `module` and their history. */
  clearResources(module: string): number {
    return this.transaction(() => this.db.prepare('DELETE FROM resource WHERE module = ?').run(module).changes
      + this.db.prepare('DELETE FROM resource_history WHERE module = ?').run(module).changes);
  }

  /** Installed modules by name, with their ids. */
  modules(): { name: string; id: number }[] {
    return this.db.prepare('SELECT name, id FROM module_catalog ORDER BY id').all() as never;
  }

  // --- module states -------------------------------------------------------------------------

  setModuleState(module: string, state: string, qualifier: string): void {
    this.db.prepare('INSERT INTO module_state (module, state, qualifier, updated_at) VALUES (?, ?, ?, ?) ON CONFLICT (module) DO UPDATE SET state = excluded.state, qualifier = excluded.qualifier, updated_at = excluded.updated_at')
      .run(module, state, qualifier, this.nowMs());
  }

  moduleStates(): { module: string; state: string; qualifier: string; updatedAt: number }[] {
    return this.db.prepare('SELECT module, state, qualifier, updated_at AS updatedAt FROM module_state ORDER BY module').all() as never;
  }

  // --- mirror data generation ----------------------------------------------------------------

  /** Durable when it returns (synchronous=FULL): the core's `persist` action contract. */
  saveMirrorData(module: string, data: unknown): void {
    this.db.prepare('INSERT INTO mirror_data (module, data, updated_at) VALUES (?, ?, ?) ON CONFLICT (module) DO UPDATE SET data = excluded.data, updated_at = excluded.updated_at')
      .run(module, JSON.stringify(data), this.nowMs());
  }

  loadMirrorData<T>(module: string): T | null {
    const row = this.db.prepare('SELECT data FROM mirror_data WHERE module = ?').get(module) as { data: string } | undefined;
    return row ? (JSON.parse(row.data) as T) : null;
  }

  // --- resources -----------------------------------------------------------------------------

  /** Sets a resource; records history unless `history` is false (`set -n`). */
  setResource(module: string, name: string, value: string, by: string, history = true): void {
    const at = this.nowMs();
    this.relaxed(() => this.db.transaction(() => {
      this.db.prepare('INSERT INTO resource (module, name, value, updated_at, by) VALUES (?, ?, ?, ?, ?) ON CONFLICT (module, name) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at, by = excluded.by')
        .run(module, name, value, at, by);
      if (history) this.db.prepare('INSERT INTO resource_history (module, name, value, at, by) VALUES (?, ?, ?, ?, ?)').run(module, name, value, at, by);
    })());
    if (history) this.maybePrune();
  }

  resources(module: string): ResourceRow[] {
    return this.db.prepare('SELECT name, value, updated_at AS updatedAt, by FROM resource WHERE module = ? ORDER BY name').all(module) as ResourceRow[];
  }

  resource(module: string, name: string): ResourceRow | null {
    return (this.db.prepare('SELECT name, value, updated_at AS updatedAt, by FROM resource WHERE module = ? AND name = ?').get(module, name) as ResourceRow | undefined) ?? null;
  }

  resourceHistory(module: string, name: string): { value: string; at: number; by: string }[] {
    return this.db.prepare('SELECT value, at, by FROM resource_history WHERE module = ? AND name = ? ORDER BY id').all(module, name) as never;
  }

  // --- logs ----------------------------------------------------------------------------------

  appendLog(module: string, component: string, level: LogLevel, text: string): number {
    const id = this.relaxed(() => this.db.prepare('INSERT INTO module_log (module, at_us, component, level, text) VALUES (?, ?, ?, ?, ?)')
      .run(module, Math.floor(this.clock.now() * 1000), component, level, text).lastInsertRowid);
    this.maybePrune();
    return Number(id);
  }

  /** The last `limit` entries at the given levels, oldest first; `afterId` for following. */
  readLog(module: string, levels: readonly LogLevel[], limit = 300, afterId = 0): LogEntry[] {
    const marks = levels.map(() => '?').join(',');
    const rows = this.db.prepare(`SELECT id, module, at_us AS atUs, component, level, text FROM module_log WHERE module = ? AND id > ? AND level IN (${marks}) ORDER BY id DESC LIMIT ?`)
      .all(module, afterId, ...levels, limit) as LogEntry[];
    return rows.reverse();
  }

  appendCommand(type: string, module: string, pid: number, phase: 'START' | 'END' | 'I', text: string): void {
    this.db.prepare('INSERT INTO command_log (at_us, type, module, pid, phase, text) VALUES (?, ?, ?, ?, ?, ?)')
      .run(Math.floor(this.clock.now() * 1000), type, module, pid, phase, text);
    this.maybePrune();
  }

  readCommands(limit = 300): CommandEntry[] {
    return (this.db.prepare('SELECT id, at_us AS atUs, type, module, pid, phase, text FROM command_log ORDER BY id DESC LIMIT ?').all(limit) as CommandEntry[]).reverse();
  }

  // --- retention -----------------------------------------------------------------------------

  private maybePrune(): void {
    if (++this.writesSincePrune < 500) return;
    this.writesSincePrune = 0;
    this.prune();
  }

  /** Applies the retention limits now (also run every 500 writes). */
  prune(): void {
    const r = this.retention;
    this.db.transaction(() => {
      this.db.prepare(`DELETE FROM resource_history WHERE id IN (
        SELECT id FROM (SELECT id, ROW_NUMBER() OVER (PARTITION BY module, name ORDER BY id DESC) AS n FROM resource_history) WHERE n > ?)`).run(r.resourceHistory);
      this.db.prepare(`DELETE FROM module_log WHERE id IN (
        SELECT id FROM (SELECT id, ROW_NUMBER() OVER (PARTITION BY module ORDER BY id DESC) AS n FROM module_log) WHERE n > ?)`).run(r.moduleLog);
      this.db.prepare('DELETE FROM command_log WHERE id <= (SELECT MAX(id) FROM command_log) - ?').run(r.commandLog);
    })();
  }

  integrityCheck(): string {
    return this.db.pragma('integrity_check', { simple: true }) as string;
  }
}
