// The commands scenario files may use. Output of a block = the log lines (levels U E C S) the
// nodes emitted while its commands ran, plus what printing commands (state, ledger…) print.

import { MirrorWorld, type MirrorWorldOptions } from '../sim/mirror-world.js';
import { FarmWorld } from '../sim/farm-world.js';
import { parseRules } from '../../src/config/rules-parse.js';
import type { FailoverRule } from '../../src/shared/rules.js';
import type { WhenClass } from '../../src/shared/config.js';
import type { MirrorCommand } from '../../src/core/mirror/types.js';

export class Interpreter {
  mirror: MirrorWorld | null = null;
  farm: FarmWorld | null = null;

  run(commands: readonly string[]): string[] {
    const out: string[] = [];
    const trace = (): string[] => this.mirror?.trace ?? this.farm?.trace ?? [];
    for (const line of commands) {
      const before = trace().length;
      const printed = this.exec(line);
      out.push(...trace().slice(before), ...printed);
    }
    return out;
  }

  private exec(line: string): string[] {
    const words = line.match(/[^\s"]*"[^"]*"\S*|\S+/g)?.map((w) => w.replace(/"/g, '')) ?? [];
    const [verb, ...args] = words;
    const kv = Object.fromEntries(args.filter((a) => a.includes('=')).map((a) => [a.slice(0, a.indexOf('=')), a.slice(a.indexOf('=') + 1)]));
    const plain = args.filter((a) => !a.includes('='));
    if (verb === 'mirror') { this.mirror = new MirrorWorld(mirrorOptions(plain, kv, args)); return []; }
    if (verb === 'farm') { this.farm = new FarmWorld(plain, kv); return []; }
    if (verb === 'run') { this.world().run(duration(plain[0])); return []; }
    if (this.farm) return this.farm.exec(verb, plain, kv);
    const w = this.mirror;
    if (!w) throw new Error(`"${line}": declare "mirror n1 n2" or "farm n1 n2 n3" first`);
    const identity = kv.i;
    const cmd = (c: MirrorCommand): string[] => { for (const n of plain) w.command(n, c, 'root', identity); return []; };
    switch (verb) {
      case 'start': case 'stop': case 'forcestop': case 'restart': case 'stopstart': case 'primforce': case 'shutdown':
        return cmd({ kind: verb });
      case 'prim': case 'second': return cmd({ kind: verb, fullsync: kv.fullsync === 'yes' });
      case 'swap': return cmd({ kind: 'swap', nosync: false });
      case 'secondforce': {
        w.command(plain[0], { kind: 'secondforce', sinceMs: Date.parse(kv.since) });
        const r = w.node(plain[0]).lastResult;
        return [`secondforce ${plain[0]}: exit ${r?.ok ? 0 : 1} (${r?.message})`];
      }
      case 'rfssync': {
        // seed=prim:<uid> or seed=second:<uid> (rfssync external); check=no for the -d form
        const [role, uid] = (kv.seed ?? '').split(':');
        const seed = kv.seed ? { role: role as 'prim' | 'second', uid, check: kv.check !== 'no' } : undefined;
        w.command(plain[0], { kind: 'rfssync', full: kv.full === 'yes', ...(seed ? { seed } : {}) });
        const r = w.node(plain[0]).lastResult;
        return [`rfssync ${plain[0]}: exit ${r?.ok ? 0 : 1} (${r?.message})`];
      }
      case 'failover': case 'errd': case 'checker':
        w.command(plain[0], { kind: 'setting', setting: verb, on: plain[1] === 'on' });
        return [];
      case 'incloop': case 'resetloop': case 'checkloop': {
        w.command(plain[0], { kind: 'loop', op: verb.slice(0, -4) as 'inc' | 'reset' | 'check' }, 'root', identity);
        const r = w.node(plain[0]).lastResult;
        return [`${verb} ${plain[0]}: exit ${r?.ok ? 0 : 1} (${r?.message})`];
      }
      case 'set': w.resource(plain[0], plain[1], plain[2], kv.by ?? 'root'); return [];
      case 'crash': plain.forEach((n) => w.crash(n)); return [];
      case 'boot': plain.forEach((n) => w.boot(n)); return [];
      case 'partition': w.net.partition(plain[0], plain[1], plain[2] === 'hold'); return [`partition ${plain.join(' ')}`];
      case 'heal': w.net.heal(); return ['healed'];
      case 'repllost': w.secondaryLost(plain[0]); return [];
      case 'replbreak': w.breakReplication(); return [];
      case 'loss': w.net.faults = { loss: Number(plain[0]), duplication: 0, minDelayMs: 1, maxDelayMs: 30 }; return [`packet loss ${plain[0]}`];
      case 'scriptfail': w.node(plain[0]).scriptOk = (s) => s !== plain[1]; return [];
      case 'write': {
        let acked = 0;
        for (let i = 0; i < Number(plain[0] ?? 1); i++) if (w.write()) acked++;
        return [`writes acked ${acked}`];
      }
      case 'state': return [...w.nodes.values()].map((n) => `${n.name} ${n.alive ? `${n.machine.state} ${n.machine.qualifier}` : 'DOWN'}${n.vip ? ' vip' : ''}${n.store.uptodate ? ' uptodate' : ''}`);
      case 'gen': return [...w.nodes.values()].map((n) => `${n.name} generation ${n.store.generation.current ?? 'untrusted'}${n.store.generation.history.length ? ` (from ${n.store.generation.history.join(' ')})` : ''}`);
      case 'ledger': return ledger(w);
      case 'resources': return [...Object.entries(w.node(plain[0]).machine.resources)].filter(([k]) => !plain[1] || k.startsWith(plain[1])).map(([k, v]) => `${k} ${v}`);
      default: throw new Error(`unknown scenario command "${verb}"`);
    }
  }

  private world(): MirrorWorld | FarmWorld {
    const w = this.mirror ?? this.farm;
    if (!w) throw new Error('declare "mirror n1 n2" or "farm n1 n2 n3" first');
    return w;
  }
}

/** Where every acknowledged write is: on the primary, only on another copy, saved aside, or nowhere. */
function ledger(w: MirrorWorld): string[] {
  const nodes = [...w.nodes.values()];
  const primary = nodes.find((n) => n.alive && n.machine.dataRole === 'primary');
  const saved = new Set(nodes.flatMap((n) => [...n.savedAside]));
  let onPrimary = 0; let elsewhere = 0; let aside = 0; let lost = 0;
  for (const a of w.acks) {
    if (primary?.data.has(a.id)) onPrimary++;
    else if (nodes.some((n) => n.data.has(a.id))) elsewhere++;
    else if (saved.has(a.id)) aside++;
    else lost++;
  }
  return [`acked ${w.acks.length}: on primary ${primary?.name ?? 'none'} ${onPrimary}, only on another copy ${elsewhere}, saved aside ${aside}, lost ${lost}`];
}

function mirrorOptions(nodes: string[], kv: Record<string, string>, args: string[]): MirrorWorldOptions {
  const rules: FailoverRule[] = [];
  for (const r of args.filter((a) => a.startsWith('rule='))) {
    const parsed = parseRules(r.slice(5), { line: 1, col: 1 });
    if (parsed.errors.length) throw new Error(parsed.errors.map((e) => e.message).join('; '));
    rules.push(...parsed.rules.map((x) => ({ ...x, origin: 'user' as const })));
  }
  const checkerResources = (kv.checkers ?? '').split(',').filter(Boolean).map((c) => {
    const [resource, when] = c.split(':');
    return { resource, when: (when ?? 'pre') as WhenClass };
  });
  return {
    nodes: [nodes[0] ?? 'n1', nodes[1] ?? 'n2'],
    failover: kv.failover !== 'off',
    defaultprim: kv.defaultprim,
    heartbeats: kv.heartbeats?.split(','),
    maxloop: kv.maxloop ? Number(kv.maxloop) : undefined,
    replicated: kv.replicated !== 'no',
    witness: kv.witness === undefined ? undefined : kv.witness.split(',').filter((x) => x !== 'none'),
    traceActions: kv.actions === 'yes',
    rules,
    checkerResources,
  };
}

export function duration(s: string | undefined): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m)?$/.exec(s ?? '');
  if (!m) throw new Error(`bad duration "${s}": write 500ms, 2s or 1m`);
  return Number(m[1]) * ({ ms: 1, s: 1000, m: 60_000 }[m[2] ?? 'ms'] ?? 1);
}
