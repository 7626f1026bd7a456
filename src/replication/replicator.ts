// The replication of one mirror module's directories, in the replicator process (replicator-main.ts,
// a child of the module runtime: docs/decisions/0010). The module runtime gives it a role; it
// reports what the core must decide on.
//
//   primary    its FUSE mounts (mounts.ts: over every replicated directory from the first role to
//              the module's stop) replicate: each change goes to the secondary when one is
//              attached ("live": answered once the secondary applied it), else into the dirty map. It connects to the peer's replication port whenever it has
//              no secondary, and brings a secondary up to date (resync.ts): the dirty map (zones)
//              when the map covers the secondary's generation, else a full sync by block hashes;
//              then rounds of what changed meanwhile, then the last round and the switch to live in
//              one turn, so no change slips between them.
//   secondary  its mounts are read-only; it listens on the replication port and applies the
//              primary's stream to its copy, beneath them.
//
// Losing a live secondary (connection closed, no acknowledgement within sendtimeout) holds every
// change not yet answered, records it in the dirty map and reports `secondaryLost`; the answers go
// out only once the runtime confirms the primary role under a NEW generation, made durable by the
// core before (DESIGN §5): a write acknowledged alone is never one the secondary could claim to have.
// If the node leaves the primary role instead (the witness refused it), they are answered EIO.

import * as fs from 'node:fs';
import { dirname, join } from 'node:path';
import type { Mutation } from '../fuse/passthrough.js';
import { replicationFilter, type ReplicationFilter } from '../config/filters.js';
import type { ReplicatedDir } from '../shared/config.js';
import type { Generation } from '../shared/generation.js';
import type { ResyncMode, SeedRequest } from '../core/actions.js';
import { isoDate } from '../core/iso-date.js';
import type { NodeCredentials } from '../daemon/pki.js';
import { CopyApplier } from './apply.js';
import { DirtyMap } from './dirty-map.js';
import { ReplicaClient, ReplicaServer, type Hello, type Unacked } from './link.js';
import { describe, hashAhead, walk } from './manifest.js';
import { BlockHasher } from './hasher.js';
import { recordScoped, scopedChange } from './scope.js';
import { seedRequest } from './seed.js';
import { Throttle } from './throttle.js';
import { openFilesUnder } from './open-files.js';
import { diffReport, verifyCopy, type DiffReport, type ReportedDir, type VerifyReport } from './reports.js';
import { fullOps, scopedOps, sinceOps, zoneOps, type ResyncTally } from './resync.js';
import { ReplicatedMounts } from './mounts.js';
import { bootId, loadRfsState, saveRfsState, type RfsState } from './rfs-state.js';
import type { StreamOp } from './wire.js';

export type Role = 'primary' | 'secondary' | 'none';

export type ReplicatorCommand =
  | { readonly type: 'role'; readonly role: Role; readonly generation: Generation }
  | { readonly type: 'resync'; readonly mode: ResyncMode; readonly sinceMs?: number; readonly seed?: SeedRequest }
  /** rfssync external prim (on the primary): record every change from now on under this name. */
  | { readonly type: 'seed'; readonly uid: string }
  | { readonly type: 'shutdown' }
  /** The module stopped (its stop scripts ran): the directories are given back bare. */
  | { readonly type: 'release' }
  /** The module process is gone: answer no more changes (the application freezes on them) until the
   * process ends; never unmount (the application would write to the bare directory). */
  | { readonly type: 'orphaned' }
  /** rfsverify (on the secondary): compare this copy with the primary's directories. */
  | { readonly type: 'verify' }
  /** rfsdiff (on the primary): what changed since the secondary left, and the time to send it. */
  | { readonly type: 'diff' };

export type ReplicatorEvent =
  | { readonly type: 'log'; readonly level: 'E' | 'C' | 'I'; readonly text: string }
  | { readonly type: 'secondaryLost'; readonly reason: string }
  | { readonly type: 'resyncDone'; readonly ok: boolean; readonly generation?: Generation }
  | { readonly type: 'failed'; readonly reason: string }
  | { readonly type: 'progress'; readonly text: string };

export interface ReplicatorOptions {
  readonly module: string;
  readonly peer: string;
  readonly dirs: readonly ReplicatedDir[];
  readonly stateFile: string;
  /** Where the side paths of the directories live (mounts.ts). */
  readonly sideDir: string;
  readonly credentials: NodeCredentials;
  readonly listen: { readonly host: string; readonly port: number };
  readonly peerAddr: { readonly host: string; readonly port: number };
  readonly ackTimeoutMs: number;
  /** `<rfs async>`: "second" — the secondary acknowledges a change on receipt (an fsync once durable);
   * "none" — once applied. */
  readonly async: 'second' | 'none';
  /** nbremconn: connections the changes are spread over (1 when absent). */
  readonly connections?: number;
  /** reiallowedbw, when set: the reintegration's bandwidth cap in KiB/s (also rfsdiff's estimate). */
  readonly bandwidthKBs?: number;
  readonly emit: (e: ReplicatorEvent) => void;
}

/** Changes waiting in the dirty map below this size are sent in the last round, in one turn. */
const LAST_ROUND_BYTES = 4 * 1024 * 1024;
const LAST_ROUND_ENTRIES = 2000;
const MAX_ROUNDS = 8;
const RECONNECT_MS = 1000;

const isMutation = (op: StreamOp): op is Mutation => op.op !== 'remove' && op.op !== 'ensure';

/** A secondary's resynchronisation progress, as `rfs.reintegration` says it. */
const applied = (p: { changes: bigint; bytes: number }) => `${p.changes} changes, ${(p.bytes / 1048576).toFixed(1)} MiB applied`;

/** The answers of changes made while the secondary is lost wait on `promise`. */
interface HeldChanges { readonly promise: Promise<void>; readonly release: () => void; readonly refuse: (e: Error) => void }

function holdChanges(): HeldChanges {
  let release!: () => void;
  let refuse!: (e: Error) => void;
  const promise = new Promise<void>((resolve, reject) => { release = resolve; refuse = reject; });
  promise.catch(() => undefined); // refused with no change waiting: nobody to tell
  return { promise, release, refuse };
}

export class Replicator {
  private role: Role = 'none';
  private generation: Generation | null = null;
  private dirty: DirtyMap[];
  /** The generation the secondary held when the dirty maps started recording; null: untrusted. */
  private base: string | null = null;
  private needsFull = false;
  /** What of each replicated directory the copy holds (its <notreplicated> rules). */
  private readonly scopes: ReplicationFilter[];
  private readonly mounts: ReplicatedMounts;
  // primary
  private client: ReplicaClient | null = null;
  private link: 'alone' | 'resync' | 'live' = 'alone';
  private liveGeneration: string | null = null;
  /** Changes not answered since the secondary was lost: released once this node may go on alone,
   * refused if it leaves the primary role instead (refuseHeld). */
  private held: HeldChanges | null = null;
  private reconnect: NodeJS.Timeout | null = null;
  /** The module process is gone: changes are recorded and never answered. */
  private frozen = false;
  private static readonly NEVER = new Promise<void>(() => undefined);
  /** Bytes per second of the last reintegration that sent more than 1 MiB. */
  private lastRate = 0;
  // secondary
  private server: ReplicaServer | null = null;
  private pendingResync: ResyncMode | null = null;
  /** With pendingResync `since`: the date (ms) of the copy the operator vouched for. */
  private pendingSince: number | null = null;
  /** `rfssync external prim <uid>`: every change since the command, for a peer whose copy is restored
   * from a backup taken after it (the regular maps start only when the secondary leaves). */
  private seed: { uid: string; maps: DirtyMap[] } | null = null;
  /** As a secondary with pendingResync `external`: the request, and what it asks the primary for
   * once this copy was checked (seed.ts; once per request: the resync then changes the copy). */
  private pendingSeed: SeedRequest | null = null;
  private seedAsk: Pick<Hello, 'mode' | 'seed'> | null = null;
  /** The open files last reported as holding the resynchronisation back. */
  private openSaid: string | null = null;
  /** While this secondary waits for or receives a resynchronisation: says its progress every second. */
  private resyncWatch: NodeJS.Timeout | null = null;

  constructor(private readonly o: ReplicatorOptions) {
    this.scopes = o.dirs.map((d) => replicationFilter(d));
    this.dirty = this.freshMaps();
    this.mounts = new ReplicatedMounts({
      module: o.module, dirs: o.dirs, sideDir: o.sideDir, scopes: this.scopes, onMutation: (root, m) => this.onMutation(root, m),
      log: (level, text) => this.log(level, text),
      onEnded: (dir, why) => {
        if (this.role === 'primary' && !this.frozen) this.o.emit({ type: 'failed', reason: `the replicated directory ${dir} is no longer served (${why})` });
        else this.log('E', `The read-only mount of ${dir} ended (${why}); it comes back at the next role`);
      },
    });
    const prev = loadRfsState(o.stateFile);
    if (prev) this.restore(prev);
    this.save(false);
  }

  private restore(prev: RfsState): void {
    this.generation = prev.generation;
    const rebooted = prev.bootId !== bootId();
    // a crash as primary may have left changes nobody acknowledged; a reboot may have lost what
    // the page cache held: in both cases this copy must be compared block by block
    this.needsFull = prev.needsFull || (!prev.clean && (prev.role === 'primary' || rebooted));
    if (prev.seed && prev.clean && prev.seed.dirty.length === this.o.dirs.length) this.seed = { uid: prev.seed.uid, maps: prev.seed.dirty.map((d) => DirtyMap.from(d)) };
    else if (prev.seed) this.log('E', `External synchronization ${prev.seed.uid}: the changes recorded since the command are lost (the replication did not end cleanly); the peer restored from the backup will be synchronized in full`);
    if (prev.clean && prev.base !== null && prev.dirty.length === this.o.dirs.length) {
      this.dirty = prev.dirty.map((d) => DirtyMap.from(d));
      this.base = prev.base;
      this.scanChangedWhileStopped(prev.stoppedAt);
    } else if (!prev.clean) this.log('E', 'The previous run of the replication did not end cleanly: its map of changes is lost; the next reintegration of the peer is a full synchronization');
  }

  /** Entries changed while the module was stopped (an admin's edit) are not in the map: add them. */
  private scanChangedWhileStopped(stoppedAt: number): void {
    const since = BigInt(Math.floor(stoppedAt)) * 1_000_000n - 1_000_000_000n; // 1 s of slack for clocks of other writers
    this.o.dirs.forEach((d, i) => {
      for (const { rel, st } of walk(d.dir, this.scopes[i])) {
        if (st.ctimeNs < since) continue;
        if (st.isDirectory()) {
          // a name added, removed or renamed while stopped: the map cannot say which
          this.log('E', `${join(d.dir, rel)} changed while the module was stopped: the next reintegration is a full synchronization`);
          this.base = null;
          this.seed = null;
          return;
        }
        const created = { op: 'create', path: rel, mode: Number(st.mode), uid: Number(st.uid), gid: Number(st.gid) } as const;
        this.dirty[i].record(created);
        this.seed?.maps[i].record(created);
      }
    });
  }

  /** Empty dirty maps, one per replicated directory. */
  private freshMaps(): DirtyMap[] {
    return this.o.dirs.map(() => new DirtyMap());
  }

  private save(clean: boolean): void {
    saveRfsState(this.o.stateFile, {
      clean, bootId: bootId(), role: this.role, base: this.base, needsFull: this.needsFull, stoppedAt: Date.now(),
      generation: this.generation, dirty: this.dirty.map((d) => d.snapshot()),
      seed: this.seed && { uid: this.seed.uid, dirty: this.seed.maps.map((d) => d.snapshot()) },
    });
  }

  private log(level: 'E' | 'C' | 'I', text: string): void {
    this.o.emit({ type: 'log', level, text });
  }

  async command(c: ReplicatorCommand): Promise<unknown> {
    switch (c.type) {
      case 'resync':
        this.pendingResync = c.mode;
        this.pendingSince = c.sinceMs ?? null;
        this.pendingSeed = c.mode === 'external' ? c.seed ?? null : null;
        this.seedAsk = null;
        this.watchResync();
        return undefined;
      case 'seed': return this.recordSeed(c.uid);
      case 'shutdown':
        // the mounts die with this process: requests fail with ENOTCONN and nothing reaches the
        // directories underneath until a replicator mounts them again (only release unmounts)
        this.client?.close();
        await this.server?.close();
        // changes applied here as primary but never acknowledged by a secondary may be in this
        // copy: if another node leads meanwhile, this copy is compared block by block
        if (this.role === 'primary') this.needsFull = true;
        this.save(true);
        return undefined;
      case 'release':
        await this.setRole('none', this.generation);
        await this.mounts.release();
        this.save(true);
        return undefined;
      case 'orphaned':
        this.frozen = true;
        this.log('C', 'The module process is gone: changes to the replicated directories wait until a new module process takes over');
        return undefined;
      case 'role': await this.setRole(c.role, c.generation); return undefined;
      case 'verify': return this.verify();
      case 'diff': return this.diff();
    }
  }

  private async verify(): Promise<VerifyReport> {
    if (this.role !== 'secondary' || !this.server) throw new Error('rfsverify runs on the secondary: this node is not one');
    return verifyCopy(this.reported(), await this.server.primaryManifest());
  }

  private diff(): DiffReport {
    if (this.role !== 'primary') throw new Error('rfsdiff runs on the primary: this node is not one');
    return diffReport({
      dirs: this.reported(), dirty: this.dirty, zones: this.base !== null, lastRate: this.lastRate, bandwidthKBs: this.o.bandwidthKBs,
      secondary: this.link === 'alone' ? 'away' : this.link,
    });
  }

  private reported(): ReportedDir[] {
    const sources = this.mounts.sources();
    return this.o.dirs.map((d, i) => ({ dir: d.dir, source: sources[i] }));
  }

  private async setRole(role: Role, generation: Generation | null): Promise<void> {
    const was = this.role;
    const before = this.generation;
    this.generation = generation;
    if (was === 'primary' && role !== 'primary') this.leavePrimary();
    if (was === 'secondary' && role !== 'secondary') await this.leaveSecondary();
    this.role = role;
    if (role === 'primary') {
      if (was === 'secondary') {
        // taking over: what the secondary held when the maps start is the generation it synchronised
        this.dirty = this.freshMaps();
        this.base = this.needsFull ? null : before?.current ?? null;
      }
      if (was !== 'primary') this.held = null; // the refusal of the last time this node left the role
      await this.mounts.ensure();
      this.mounts.setReadOnly(false);
      if (was === 'primary' && generation?.current !== this.liveGeneration) this.goAlone();
      this.scheduleConnect(0);
    } else {
      this.mounts.setReadOnly(true);
      if (role === 'secondary') await this.mounts.ensure();
      if (role === 'secondary' && was !== 'secondary') {
        // both copies were written alone (split brain): ours goes, but not what was written in it
        if (this.pendingResync === 'divergent') this.saveAside();
        else if (this.unreplicatedHere()) {
          // changes made here that the other node may lack (held, or in flight, when this node left
          // the primary role; answered EIO): the other's map of changes cannot list them
          this.needsFull = true;
          this.log('E', `Changes made on this node were not all replicated before it left the primary role: the resynchronization from ${this.o.peer} compares the whole copy`);
        }
        // our copy is to be overwritten: our own maps of changes mean nothing any more
        this.dirty = this.freshMaps();
        this.base = null;
        this.seed = null;
        await this.listen();
      }
    }
    this.save(false);
  }

  /** This node's maps of changes list something: changes made here that the secondary never acknowledged. */
  private unreplicatedHere(): boolean {
    return this.dirty.some((d) => d.entries() > 0);
  }

  /**
   * Copies what this node wrote while it ran alone (its dirty map; the whole tree when the map
   * cannot say) to var/lib/tandem/modules/AM/divergent/<time>/, before a divergent resync
   * overwrites it (DESIGN §5: nothing acknowledged is silently discarded).
   */
  private saveAside(): void {
    const into = join(dirname(this.o.stateFile), 'divergent', new Date().toISOString().replace(/[:.]/g, '-'));
    let saved = 0;
    for (const [i, source] of this.mounts.sources().entries()) {
      const target = join(into, String(i));
      const paths = this.base === null ? [''] : Object.keys(this.dirty[i].snapshot().changed);
      for (const rel of paths) {
        try {
          fs.cpSync(join(source.root, rel), join(target, rel), { recursive: true, preserveTimestamps: true, verbatimSymlinks: true });
          saved++;
        } catch { /* removed since: nothing to keep */ }
      }
    }
    const what = this.base === null ? 'the whole copy (its map of changes could not say what changed)' : `${saved} entries`;
    this.log('C', `Data written on this node while it ran alone saved in ${into} (${what}) before the resynchronization from ${this.o.peer}`);
  }

  // ── primary ────────────────────────────────────────────────────────────────────────────────

  /** No longer primary (after the stop scripts): the mounts stay, read-only, until the module stops. */
  private leavePrimary(): void {
    if (this.reconnect) clearTimeout(this.reconnect);
    this.reconnect = null;
    this.client?.close();
    this.client = null;
    this.refuseHeld();
    this.mounts.setReadOnly(true);
  }

  /**
   * Leaving the primary role, this node never got the right to go on alone: every change not yet
   * answered — held since the secondary was lost, or in flight when the connection closed just now —
   * is answered EIO. The secondary may lack it, and the node that takes over, or this one after a
   * resynchronisation, may not keep it: an answer of success could be a lost acknowledged write
   * (the ledger's isolate-primary fault, 2026-12-04). The refusal stays until this node is primary
   * again, for the answers that are still on their way to it (their promises chain on `held`).
   */
  private refuseHeld(): void {
    this.held ??= holdChanges();
    this.held.refuse(new Error('this node left the primary role before the change was replicated'));
  }

  private onMutation(root: number, m: Mutation): Promise<void> | undefined {
    const src = { root: this.mounts.side(root), scope: this.scopes[root] };
    const scoped = scopedChange(src, m);
    if (scoped !== null && !scoped.remove && !scoped.send && !scoped.whole) return undefined; // not replicated
    if (this.seed) recordScoped(this.seed.maps[root], m, scoped);
    if (this.frozen) { recordScoped(this.dirty[root], m, scoped); return Replicator.NEVER; }
    if (this.link === 'live' && this.client?.connected) {
      if (scoped === null) return this.client.send(m, root).then(() => this.held?.promise);
      let last: Promise<void> | undefined;
      for (const op of scopedOps(src, scoped)) last = this.client.send(op, root); // acknowledged in order: the last says all
      return last?.then(() => this.held?.promise);
    }
    recordScoped(this.dirty[root], m, scoped);
    return this.held?.promise;
  }

  /** The runtime confirmed the primary role under another generation: drop the secondary, answer what was held. */
  private goAlone(): void {
    if (this.link !== 'alone') this.client?.close();
    this.release();
  }

  private release(): void {
    const h = this.held;
    this.held = null;
    h?.release();
  }

  private scheduleConnect(ms: number): void {
    if (this.reconnect || this.role !== 'primary' || this.link !== 'alone') return;
    this.reconnect = setTimeout(() => {
      this.reconnect = null;
      void this.connect();
    }, ms);
  }

  private async connect(): Promise<void> {
    if (this.role !== 'primary' || this.link !== 'alone') return;
    const client = new ReplicaClient({
      credentials: this.o.credentials, secondary: this.o.peer, ackTimeoutMs: this.o.ackTimeoutMs,
      onLost: (reason, unacked) => this.onLost(client, reason, unacked),
      roots: this.o.dirs.length, describe: (root, batch) => describe(this.mounts.side(root), this.scopes[root], batch), connections: this.o.connections,
    });
    let hello: Hello;
    try {
      hello = await client.connect(this.o.peerAddr.host, this.o.peerAddr.port);
    } catch {
      this.scheduleConnect(RECONNECT_MS); // the peer is not a secondary (yet): try again quietly
      return;
    }
    if (this.role !== 'primary' || this.link !== 'alone') { client.close(); return; }
    this.client = client;
    this.link = 'resync';
    void this.resync(client, hello);
  }

  private onLost(client: ReplicaClient, reason: string, unacked: readonly Unacked[]): void {
    if (this.client !== client) return;
    for (const u of unacked) if (isMutation(u.op)) this.dirty[u.root].record(u.op);
    const was = this.link;
    this.client = null;
    this.link = 'alone';
    if (was === 'resync') {
      // part of a snapshot of the map was sent: the map no longer says what the copy lacks
      this.base = null;
      this.log('E', `Reintegration of ${this.o.peer} interrupted (${reason})`);
    } else if (was === 'live') {
      this.log('E', `Replication to ${this.o.peer} lost (${reason}): changes wait for the decision to continue alone`);
      if (this.role === 'primary' && this.generation?.current === this.liveGeneration) {
        this.held = holdChanges();
        this.o.emit({ type: 'secondaryLost', reason });
      }
    }
    this.scheduleConnect(RECONNECT_MS);
  }

  private async resync(client: ReplicaClient, hello: Hello): Promise<void> {
    const since = hello.mode === 'since' && typeof hello.since === 'number' ? hello.since : null;
    const seed = this.seedFor(hello);
    const zones = since === null && seed === null && this.base !== null && hello.generation === this.base && !hello.unclean && hello.mode !== 'full' && hello.mode !== 'external';
    const started = Date.now();
    const tally: ResyncTally = { files: 0, bytes: 0 };
    const throttle = new Throttle((this.o.bandwidthKBs ?? 0) * 1024);
    const how = since !== null ? `files modified since ${isoDate(since)} (secondforce)` : seed ? `changed zones since the backup of external synchronization ${seed.uid}`
      : zones ? 'changed zones only (dirty map)' : 'full synchronization (block comparison)';
    this.log('E', `Reintegration of ${this.o.peer} begins: ${how}`);
    try {
      const take = this.takeDirty();
      const sources = this.mounts.sources();
      if (since !== null) {
        for (const [i, source] of sources.entries()) await this.pump(client, i, sinceOps(source, BigInt(since) * 1_000_000n, tally), tally, throttle);
      } else if (seed) {
        const recorded = seed.maps.map((d) => d.snapshot());
        for (const [i, source] of sources.entries()) await this.pump(client, i, zoneOps(source, recorded[i], tally), tally, throttle);
      } else if (zones) {
        for (const [i, source] of sources.entries()) await this.pump(client, i, zoneOps(source, take[i], tally), tally, throttle);
      } else {
        // our hashes while the secondary computes its own: both copies are read at the same time
        const arrived = new AbortController();
        const ahead = sources.map(() => new Map<string, Buffer[]>());
        const hasher = new BlockHasher();
        try {
          // (a read error leaves the rest to fullOps, which hashes what it was not told)
          const hashing = Promise.all(sources.map((s, i) => hashAhead(s.root, s.scope, ahead[i], arrived.signal, hasher))).catch(() => undefined);
          const theirs = await client.manifest().finally(() => arrived.abort());
          await hashing;
          for (const [i, source] of sources.entries()) await this.pump(client, i, fullOps(source, theirs.get(i) ?? [], tally, ahead[i], hasher), tally, throttle);
        } finally {
          await hasher.close();
        }
      }
      for (let round = 0; round < MAX_ROUNDS && !this.smallEnough(); round++) {
        const more = this.takeDirty();
        for (const [i, source] of sources.entries()) await this.pump(client, i, zoneOps(source, more[i], tally), tally, throttle);
      }
      if (this.client !== client) return;
      // the last round and the switch to live in one turn: no change can fall between them
      const last = this.takeDirty();
      for (const [i, source] of sources.entries()) for (const op of zoneOps(source, last[i], tally)) void client.send(op, i);
      this.link = 'live';
      this.liveGeneration = this.generation?.current ?? null;
      this.base = this.liveGeneration;
      client.control({ t: 'synced', generation: this.generation });
      if (this.seed) this.log('E', `External synchronization ${this.seed.uid} is over: the peer is synchronized (policy back to default)`);
      this.seed = null;
      const ms = Date.now() - started;
      if (tally.bytes > 1024 * 1024 && ms > 0) this.lastRate = Math.round(tally.bytes / (ms / 1000));
      this.log('E', `Reintegration of ${this.o.peer} ended: ${tally.files} entries, ${tally.bytes} bytes sent in ${ms} ms`);
      if (tally.linked?.length) {
        const some = tally.linked.slice(0, 5).join(', ');
        this.log('E', `${tally.linked.length} name(s) in the replicated directories are hard links (${some}${tally.linked.length > 5 ? ', …' : ''}): each is a separate file on ${this.o.peer}, and new hard links are refused`);
      }
      this.o.emit({ type: 'progress', text: `last reintegration of ${this.o.peer}: ${tally.files} entries, ${(tally.bytes / 1048576).toFixed(1)} MiB in ${(ms / 1000).toFixed(1)} s` });
    } catch (e) {
      if (this.client === client) client.close();
      this.log('E', `Reintegration of ${this.o.peer} failed: ${(e as Error).message}`);
    }
  }

  /** rfssync external prim: from now on every change is also recorded under `uid`. */
  private recordSeed(uid: string): undefined {
    if (this.role !== 'primary') throw new Error('this node is not the primary: run it on the node whose directories are backed up');
    this.seed = { uid, maps: this.freshMaps() };
    this.save(false);
    this.log('E', `External synchronization ${uid}: every change of the replicated directories is recorded from now on; back them up, restore the backup on ${this.o.peer}, run "rfssync external second ${uid}" there, then start it`);
    return undefined;
  }

  /** The seed a secondary's hello asks for, when this node recorded it; else null (and why, logged). */
  private seedFor(hello: Hello): { uid: string; maps: DirtyMap[] } | null {
    if (hello.mode !== 'external') return null;
    if (this.seed !== null && this.seed.uid === hello.seed) return this.seed;
    this.log('E', `External synchronization ${hello.seed ?? '?'} asked by ${this.o.peer} cannot be applied: ${this.seed ? `this node records the changes of ${this.seed.uid}` : 'this node records none (run "rfssync external prim <uid>" here before the backup)'}; full synchronization instead`);
    return null;
  }

  private takeDirty(): ReturnType<DirtyMap['snapshot']>[] {
    const take = this.dirty.map((d) => d.snapshot());
    this.dirty = this.freshMaps();
    return take;
  }

  private smallEnough(): boolean {
    let entries = 0;
    let bytes = 0;
    for (const d of this.dirty) { entries += d.entries(); bytes += d.dirtyBytes(); }
    return entries <= LAST_ROUND_ENTRIES && bytes <= LAST_ROUND_BYTES;
  }

  /**
   * Sends what `ops` produces, reading each just before it goes, with at most 16 MiB
   * unacknowledged and no faster than `reiallowedbw` (`throttle`).
   */
  private async pump(client: ReplicaClient, root: number, ops: Iterable<StreamOp> | AsyncIterable<StreamOp>, tally: ResyncTally, throttle: Throttle): Promise<void> {
    let reported = Date.now();
    for await (const op of ops) {
      if (!client.connected) throw new Error('the connection was lost');
      void client.send(op, root);
      if (op.op === 'write') await throttle.sent(op.data.length);
      if (client.inflightBytes > 16 * 1024 * 1024) await client.below(4 * 1024 * 1024);
      if (Date.now() - reported >= 1000) {
        reported = Date.now();
        this.o.emit({ type: 'progress', text: `reintegration of ${this.o.peer}: ${tally.files} entries, ${(tally.bytes / 1048576).toFixed(1)} MiB sent` });
      }
    }
    await client.below(0);
  }

  // ── secondary ──────────────────────────────────────────────────────────────────────────────

  private async listen(): Promise<void> {
    this.server = new ReplicaServer({
      credentials: this.o.credentials, primary: this.o.peer,
      copies: this.o.dirs.map((_, i) => new CopyApplier(this.mounts.side(i))),
      hello: () => this.hello(),
      manifest: (root, batch) => describe(this.mounts.side(root), this.scopes[root], batch),
      onSynced: (generation) => this.onSynced(generation),
      onLost: (reason) => this.onPrimaryLost(reason),
      log: (text) => this.log('E', text),
      ackOnReceipt: this.o.async === 'second',
      busy: () => this.filesOpen(),
    });
    await this.server.listen(this.o.listen.host, this.o.listen.port);
  }

  /** What this secondary asks of the primary that connects. */
  private hello(): Hello {
    const base = { t: 'hello' as const, generation: this.generation?.current ?? '', unclean: this.needsFull };
    if (this.pendingResync === 'since' && this.pendingSince !== null) return { ...base, mode: 'since', since: this.pendingSince };
    if (this.pendingResync === 'external' && this.pendingSeed) {
      this.seedAsk ??= seedRequest(this.pendingSeed, this.mounts.sources(), this.o.dirs.map((d) => d.dir), (text) => this.log('E', text));
      return { ...base, ...this.seedAsk };
    }
    return { ...base, mode: this.pendingResync === null ? 'none' : this.pendingResync === 'zones' && !this.needsFull ? 'zones' : 'full' };
  }

  /**
   * Files of the replicated directories held open on this node (a reader of the copy, a process
   * left from before the module started): the resynchronisation would change them under it, so it
   * waits until they are closed, saying so once.
   */
  private filesOpen(): string | null {
    const open = openFilesUnder(this.o.dirs.map((d) => d.dir));
    const why = open.length ? open.map((f) => `${f.path} (pid ${f.pid}, ${f.command})`).join(', ') : null;
    if (why !== null && why !== this.openSaid) {
      this.log('E', `The resynchronization from ${this.o.peer} waits: files of the replicated directories are open on this node: ${why}; it starts once they are closed`);
      this.o.emit({ type: 'progress', text: `waiting: files open on this node: ${why}` });
    }
    this.openSaid = why;
    return why;
  }

  /**
   * The secondary's side of a resynchronisation's progress (`rfs.reintegration`, as the primary
   * says what it sent): what the primary's session has applied to the copy, every second while it
   * grows, so that `tandem state -v` and `tandem waitstate` on this node show it too.
   */
  private watchResync(): void {
    if (this.resyncWatch) return;
    let said = 0n;
    this.resyncWatch = setInterval(() => {
      if (this.pendingResync === null) {
        clearInterval(this.resyncWatch!);
        this.resyncWatch = null;
        return;
      }
      const p = this.server?.progress;
      if (!p || p.changes === said) return;
      said = p.changes;
      this.o.emit({ type: 'progress', text: `reintegration from ${this.o.peer}: ${applied(p)}` });
    }, 1000).unref();
  }

  private onSynced(generation: unknown): void {
    this.generation = generation as Generation;
    this.needsFull = false;
    this.save(false);
    if (this.pendingResync === null) return;
    this.pendingResync = null;
    const p = this.server?.progress;
    if (p) this.o.emit({ type: 'progress', text: `last reintegration from ${this.o.peer}: ${applied(p)}` });
    this.o.emit({ type: 'resyncDone', ok: true, generation: this.generation });
  }

  private onPrimaryLost(reason: string): void {
    if (this.pendingResync === null) return;
    this.pendingResync = null;
    this.log('E', `Reintegration from ${this.o.peer} interrupted: ${reason}`);
    this.o.emit({ type: 'resyncDone', ok: false });
  }

  private async leaveSecondary(): Promise<void> {
    const s = this.server;
    this.server = null;
    this.pendingResync = null;
    await s?.close();
  }
}
