// Runs a range of simulator schedules as one test and reports what the closing note needs:
// schedules per second and how many schedules had both mirror nodes running alone.

import assert from 'node:assert/strict';
import { runSchedule } from './simulate.js';

export function runRange(from: number, count: number): void {
  const base = Number(process.env.SIM_SEED ?? 0);
  const started = Date.now();
  const failures: string[] = [];
  let splitBrains = 0;
  let mirrors = 0;
  for (let seed = base + from; seed < base + from + count; seed++) {
    const r = runSchedule(seed);
    if (r.kind === 'mirror') mirrors++;
    if (r.splitBrain) splitBrains++;
    if (r.violation) failures.push(`seed ${seed} (${r.kind}): ${r.violation}\n    replay: npm run sim -- --seed ${seed} --verbose`);
  }
  const secs = (Date.now() - started) / 1000;
  console.log(`# sim: ${count} schedules (seeds ${base + from}…${base + from + count - 1}) in ${secs.toFixed(1)} s, ${(count / secs).toFixed(0)} schedules/s; ` +
    `mirror schedules where both nodes ran alone (split brain: without a witness, or both reaching it): ${splitBrains} of ${mirrors}`);
  assert.deepEqual(failures, [], `invariant violations:\n${failures.join('\n')}`);
}
