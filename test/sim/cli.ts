// npm run sim -- [--count N] [--from SEED] [--seed SEED] [--verbose]
// Runs simulator schedules and prints a summary; --seed replays one schedule (with --verbose, its
// whole trace). Exit 1 when a schedule violates an invariant.

import { runSchedule } from './simulate.js';

const args = process.argv.slice(2);
const opt = (name: string): string | undefined => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
if (args.includes('--help')) {
  console.log('usage: npm run sim -- [--count N] [--from SEED] [--seed SEED] [--verbose]\n  --seed SEED   replay one schedule (add --verbose for its trace)\n  --count N     run N schedules starting at --from (default 1)');
  process.exit(0);
}
const single = opt('--seed');
const from = Number(single ?? opt('--from') ?? 1);
const count = single ? 1 : Number(opt('--count') ?? 1000);
const started = Date.now();
let failures = 0;
let splitBrains = 0;
let steps = 0;
for (let seed = from; seed < from + count; seed++) {
  const r = runSchedule(seed);
  steps += r.steps;
  if (r.splitBrain) splitBrains++;
  if (r.violation) {
    failures++;
    console.log(`seed ${seed} (${r.kind}): ${r.violation}\n  replay: npm run sim -- --seed ${seed} --verbose`);
  }
  if (args.includes('--verbose')) console.log(r.trace.join('\n'));
}
const secs = (Date.now() - started) / 1000;
console.log(`${count} schedules, ${steps} steps in ${secs.toFixed(1)} s (${(count / secs).toFixed(0)} schedules/s); split-brain schedules: ${splitBrains}; violations: ${failures}`);
process.exit(failures ? 1 : 0);
