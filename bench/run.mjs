// npm run bench [-- NAME [args…]]: runs one benchmark, or all. Benchmarks are not tests: they
// measure, write bench/results/*.json, and print a summary.
import { spawnSync } from 'node:child_process';

const BENCHES = {
  failover: [['--profile', 'tandem'], ['--profile', 'fast'], ['--profile', 'safekit']],
  keepalived: [['--advert', '1'], ['--advert', '0.1']],
  soak: [['--profile', 'fast'], ['--profile', 'tandem']],
  jitter: [['--profile', 'tandem']],
  replication: [[]],
};
const [name, ...rest] = process.argv.slice(2);
const chosen = name ? { [name]: rest.length ? [rest] : BENCHES[name] } : BENCHES;
if (name && !BENCHES[name]) { console.error(`unknown benchmark "${name}"; known: ${Object.keys(BENCHES).join(', ')}`); process.exit(2); }
let failed = 0;
for (const [bench, variants] of Object.entries(chosen)) {
  for (const args of variants) {
    console.log(`== ${bench} ${args.join(' ')}`);
    const r = spawnSync(process.execPath, [`dist/bench/${bench}.js`, ...args], { stdio: 'inherit' });
    if (r.status !== 0) failed++;
  }
}
process.exit(failed ? 1 : 0);
