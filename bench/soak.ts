// False failovers under load (issue 4): a 2-node mirror pair with a VIP in a namespace lab, both CPU
// cores kept busy by spinning processes, for DURATION seconds; every heartbeat loss and every
// failover action during that time is a false failover (nothing failed).
//
//   node dist/bench/soak.js [--profile default|fast] [--seconds 600]
// Writes bench/results/soak-<profile>.json.

import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { cpus, release, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeZip } from '../src/catalog/zip.js';
import { Lab, labUnavailable } from '../src/lab/lab.js';
import { PROFILES } from './profiles.js';

const arg = (name: string, dflt: string): string => { const i = process.argv.indexOf(name); return i >= 0 ? process.argv[i + 1] : dflt; };
const profileName = arg('--profile', 'fast');
const profile = PROFILES[profileName];
if (!profile) throw new Error(`--profile ${profileName}: one of ${Object.keys(PROFILES).join(', ')}`);
const seconds = Number(arg('--seconds', '600'));
const RESULTS = fileURLToPath(new URL('../../bench/results/', import.meta.url));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function main(): Promise<void> {
  const why = labUnavailable();
  if (why) throw new Error(`the soak benchmark ${why}`);
  const dir = mkdtempSync(join(tmpdir(), 'bench-soak-'));
  const lab = new Lab(dir, 2, '10.85.0');
  const spinners: ChildProcess[] = [];
  try {
    const state = (n: string) => lab.tandem(n, 'state', '-m', 'app', '-lq').stdout.trim();
    const until = async (what: string, check: () => boolean, ms: number) => { const end = Date.now() + ms; while (!check()) { if (Date.now() > end) throw new Error(`timed out: ${what}`); await sleep(200); } };
    writeFileSync(join(dir, 'cluster.xml'), '<cluster><lans><lan name="default"><node name="n1" addr="10.85.0.1"/><node name="n2" addr="10.85.0.2"/></lan></lans></cluster>');
    lab.tandem('n1', 'cluster', 'config', join(dir, 'cluster.xml'));
    lab.tandem('n1', 'cluster', 'package', join(dir, 'cluster.zip'));
    lab.tandem('n2', 'cluster', 'config', join(dir, 'cluster.zip'));
    const module = `<safe><service mode="mirror"><heart pulse="${profile.pulse}" timeout="${profile.timeout}"><heartbeat name="default"/></heart>
      <vip><interface_list><interface><real_interface><virtual_addr addr="10.85.0.100" where="one_side_alias" netmask="255.255.255.0"/></real_interface></interface></interface_list></vip><user/></service></safe>`;
    writeFileSync(join(dir, 'app.safe'), writeZip([{ name: 'conf/userconfig.xml', data: Buffer.from(module), mode: 0o644 }]));
    lab.tandem('n1', 'module', 'install', '-m', 'app', join(dir, 'app.safe'));
    lab.tandem('n1', 'config', '-m', 'app');
    for (const n of ['n1', 'n2']) lab.startDetachedDaemon(n);
    await until('daemons', () => lab.tandem('n1', 'state').status === 0 && lab.tandem('n2', 'state').status === 0, 30_000);
    lab.tandem('n1', '-H', 'n2', '-E', 'app');
    await until('n2 module', () => lab.tandem('n2', 'state', '-m', 'app').status === 0, 30_000);
    lab.tandem('n1', 'start', '-m', 'app');
    await until('n1 alone', () => state('n1') === 'ALONE', 60_000);
    lab.tandem('n2', 'start', '-m', 'app');
    await until('pair', () => state('n1') === 'PRIM' && state('n2') === 'SECOND', 60_000);
    const logLines = (n: string) => lab.tandem(n, 'log', '-m', 'app', '-s', '100000').stdout.split('\n');
    const before = { n1: logLines('n1').length, n2: logLines('n2').length };
    for (let i = 0; i < cpus().length; i++) spinners.push(spawn(process.execPath, ['-e', 'for(;;){}'], { stdio: 'ignore' }));
    process.stdout.write(`soak: ${profileName} (pulse ${profile.pulse}, timeout ${profile.timeout}), ${spinners.length} spinning processes, ${seconds} s\n`);
    await sleep(seconds * 1000);
    for (const s of spinners) s.kill('SIGKILL');
    const events = ['n1', 'n2'].flatMap((n) => logLines(n).slice(before[n as 'n1' | 'n2']).filter((l) => /heartbeat\.\S+ set to down|Action alone called|Local state (ALONE|WAIT|STOP)/.test(l)).map((l) => `${n} ${l}`));
    const result = {
      bench: 'soak', profile: profileName, heart: { pulse: profile.pulse, timeout: profile.timeout }, seconds, spinners: spinners.length,
      machine: `${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, Linux ${release()}`, date: new Date().toISOString(),
      falseFailovers: events.filter((e) => /Action alone called/.test(e)).length, heartbeatLosses: events.filter((e) => /set to down/.test(e)).length,
      finalStates: { n1: state('n1'), n2: state('n2') }, events,
    };
    mkdirSync(RESULTS, { recursive: true });
    writeFileSync(join(RESULTS, `soak-${profileName}.json`), `${JSON.stringify(result, null, 2)}\n`);
    process.stdout.write(`soak ${profileName}: ${result.falseFailovers} false failovers, ${result.heartbeatLosses} heartbeat losses in ${seconds} s; final ${JSON.stringify(result.finalStates)}\n`);
  } finally {
    for (const s of spinners) s.kill('SIGKILL');
    lab.teardown();
  }
}

main().catch((e: Error) => { process.stderr.write(`bench soak: ${e.message}\n`); process.exitCode = 1; });
