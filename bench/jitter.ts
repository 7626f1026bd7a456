// Heartbeat regularity while the module processes are busy (issue 4): a PRIM/SECOND pair whose
// module processes each run errd over ~2 000 processes every second and a custom checker that
// reports a changing resource through the CLI as fast as it can (a step, a store write and a log
// line each time; each report is a CLI process start, so a few per second on busy cores), with both
// CPU cores spinning. Measured where heartbeats are received (the heartbeat thread, before the
// step queue: src/module/heartbeat-worker.ts, docs/decisions/0012): gaps longer than 1.5, 2, 3 and 5 pulses, per phase, and the
// largest gap overall. A gap longer than the timeout would be a false failover.
//
//   node dist/bench/jitter.js [--profile tandem|fast|safekit] [--idle 30] [--busy 60]
// Writes bench/results/jitter-<profile>.json.

import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { cpus, release, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Lab, labUnavailable } from '../src/lab/lab.js';
import type { ModuleStatus } from '../src/module/runtime.js';
import { benchProfile, describeHeart } from './profiles.js';
import { arg, sleep, startMirrorPair } from './pair.js';

const profileName = arg('--profile', 'tandem');
const profile = benchProfile(profileName);
const idleS = Number(arg('--idle', '30'));
const busyS = Number(arg('--busy', '60'));
const RESULTS = fileURLToPath(new URL('../../bench/results/', import.meta.url));
const EXTRA_PROCESSES = 1000; // per node

const NOISE = `#!/bin/sh
# argv: module resource — flips the resource as fast as the CLI allows
while :; do tandem set -m "$1" -r "$2" -v up; tandem set -m "$1" -r "$2" -v down; done
`;

type Arrivals = NonNullable<ModuleStatus['heartbeats']>[string];

async function main(): Promise<void> {
  const why = labUnavailable();
  if (why) throw new Error(`the jitter benchmark ${why}`);
  const dir = mkdtempSync(join(tmpdir(), 'bench-jitter-'));
  const lab = new Lab(dir, 2, '10.86.0');
  const load: ChildProcess[] = [];
  try {
    const module = `<safe><service mode="mirror" timing="${profile.name}"><heart><heartbeat name="default"/></heart><user/>
      <errd polltimer="1s"><proc name="sleep" atleast="1" action="noaction" class="both"/></errd>
      <check><custom ident="noise" when="both" exec="noise"/></check></service></safe>`;
    await startMirrorPair(lab, dir, '10.86.0', [
      { name: 'conf/userconfig.xml', data: Buffer.from(module), mode: 0o644 },
      { name: 'bin/noise', data: Buffer.from(NOISE), mode: 0o755 },
    ]);
    const arrivals = (n: string): Arrivals => {
      const s = JSON.parse(lab.tandem(n, 'state', '-m', 'app', '--json').stdout) as ModuleStatus;
      const a = s.heartbeats?.default;
      if (!a) throw new Error(`${n} reports no heartbeat statistics`);
      return a;
    };
    const phase = async (name: string, seconds: number) => {
      const before = { n1: arrivals('n1'), n2: arrivals('n2') };
      process.stdout.write(`jitter ${profileName}: ${name} for ${seconds} s\n`);
      await sleep(seconds * 1000);
      const after = { n1: arrivals('n1'), n2: arrivals('n2') };
      return Object.fromEntries((['n1', 'n2'] as const).map((n) => [n, {
        received: after[n].received - before[n].received,
        late: Object.fromEntries(Object.keys(after[n].late).map((k) => [`over ${k.slice(0, -1)} pulses`, after[n].late[k] - before[n].late[k]])),
      }]));
    };
    await sleep(3000);
    const idle = await phase('idle', idleS);
    for (const n of ['n1', 'n2']) {
      for (let i = 0; i < EXTRA_PROCESSES; i++) load.push(lab.start(n, ['sleep', '3600']));
    }
    for (let i = 0; i < cpus().length; i++) load.push(spawn(process.execPath, ['-e', 'for(;;){}'], { stdio: 'ignore' }));
    await sleep(2000);
    const busy = await phase(`busy (errd over ${EXTRA_PROCESSES} extra processes per node every 1 s, a custom checker flipping a resource, ${cpus().length} spinning processes)`, busyS);
    const final = { n1: arrivals('n1'), n2: arrivals('n2') };
    const setsPerSecond = Number(lab.tandem('n1', 'log', '-m', 'app', '-s', '100000').stdout.split('\n').filter((l) => /custom\.noise set to/.test(l)).length) / (busyS + idleS + 5);
    const result = {
      bench: 'jitter', profile: profileName, heart: { pulseMs: profile.pulseMs, timeoutMs: profile.timeoutMs },
      machine: `${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, Linux ${release()}`, date: new Date().toISOString(),
      idle, busy, largestGapMs: { n1: Math.round(final.n1.maxGapMs), n2: Math.round(final.n2.maxGapMs) },
      noiseSetsPerSecond: Math.round(setsPerSecond * 10) / 10,
      states: { n1: lab.tandem('n1', 'state', '-m', 'app', '-lq').stdout.trim(), n2: lab.tandem('n2', 'state', '-m', 'app', '-lq').stdout.trim() },
    };
    mkdirSync(RESULTS, { recursive: true });
    writeFileSync(join(RESULTS, `jitter-${profileName}.json`), `${JSON.stringify(result, null, 2)}\n`);
    process.stdout.write(`jitter ${profileName} (${describeHeart(profile)}): ${JSON.stringify({ idle, busy, largestGapMs: result.largestGapMs, states: result.states })}\n`);
  } finally {
    for (const p of load) p.kill('SIGKILL');
    lab.teardown();
  }
}

main().catch((e: Error) => { process.stderr.write(`bench jitter: ${e.message}\n`); process.exitCode = 1; });
