// What `bash scripts/demo.sh` shows until the network-namespace lab lands (issue 4): the real
// decision core of a 2-node mirror and a 3-node farm, running on simulated nodes and a simulated
// clock, with the module log a user would read. Nothing here touches the host.

import { MirrorWorld } from './mirror-world.js';
import { FarmWorld } from './farm-world.js';
import { bitmapWords } from '../../src/core/farm/buckets.js';

const pause = (ms: number) => new Promise((r) => setTimeout(r, process.env.CI ? 0 : ms));

function show(lines: string[], from: number): number {
  for (const l of lines.slice(from)) if (!l.includes('| S |') && !l.includes('Remote state')) console.log(`  ${l}`);
  return lines.length;
}

async function step(title: string, act: () => void, trace: string[], seen: number): Promise<number> {
  console.log(`\n» ${title}`);
  act();
  const next = show(trace, seen);
  await pause(1200);
  return next;
}

async function main(): Promise<void> {
  console.log('tandem demo — the real core on simulated nodes (fast timing: heartbeat 100 ms, timeout 600 ms)\n');
  console.log('MIRROR n1 + n2');
  const m = new MirrorWorld();
  let seen = 0;
  seen = await step('start both nodes: first start after configuration, data untrusted on both', () => { m.command('n1', { kind: 'start' }); m.command('n2', { kind: 'start' }); m.run(1500); }, m.trace, seen);
  seen = await step('tandem prim on n1, then tandem second on n2 (full synchronisation)', () => { m.command('n1', { kind: 'prim', fullsync: false }); m.run(500); m.command('n2', { kind: 'second', fullsync: false }); m.run(2000); }, m.trace, seen);
  seen = await step('the client writes 5 records to the primary', () => { let n = 0; for (let i = 0; i < 5; i++) if (m.write()) n++; console.log(`  ${n} writes acknowledged`); }, m.trace, seen);
  seen = await step('power failure of the primary n1: n2 takes over after the heartbeat timeout', () => { m.crash('n1'); m.run(2000); }, m.trace, seen);
  await step('n1 comes back: it resynchronises and becomes SECOND', () => { m.boot('n1'); m.command('n1', { kind: 'start' }); m.run(3000); }, m.trace, seen);
  const primary = [...m.nodes.values()].find((n) => n.machine.state === 'PRIM');
  console.log(`  → ${[...m.nodes.values()].map((n) => `${n.name} ${n.machine.state} ${n.machine.qualifier}${n.vip ? ' (VIP)' : ''}`).join(', ')}; acknowledged writes on the primary: ${m.acks.filter((a) => primary?.data.has(a.id)).length}/${m.acks.length}`);

  console.log('\nFARM n1 + n2 + n3 (256 load-balancing buckets)');
  const f = new FarmWorld(['n1', 'n2', 'n3']);
  const buckets = () => [...f.nodes.values()].forEach((n) => console.log(`  ${n.name} ${String(n.buckets.get('FarmProto')?.length ?? 0).padStart(3)}/256 ${bitmapWords(n.buckets.get('FarmProto') ?? [])}`));
  let fs = 0;
  fs = await step('start all three', () => { for (const n of ['n1', 'n2', 'n3']) f.command(n, { kind: 'start' }); f.run(2000); }, f.trace, fs);
  buckets();
  fs = await step('n2 fails: its buckets, and only those, move to n1 and n3', () => { f.crash('n2'); f.run(2000); }, f.trace, fs);
  buckets();
  await step('n2 returns and takes back exactly its share', () => { f.boot('n2'); f.command('n2', { kind: 'start' }); f.run(2000); }, f.trace, fs);
  buckets();
  console.log('\nThe network-namespace lab with real nodes, a virtual IP, replication and the console comes with the mirror-module issue.');
}

void main();
