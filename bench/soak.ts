// False failovers under load (issue 4): a 2-node mirror pair with a VIP in a namespace lab, both CPU
// cores kept busy by spinning processes, for DURATION seconds; every heartbeat loss and every
// failover action during that time is a false failover (nothing failed).
//
//   node dist/bench/soak.js [--profile tandem|fast] [--seconds 600]
// Writes bench/results/soak-<profile>.json.

import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { cpus, release, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Lab, labUnavailable } from '../src/lab/lab.js';
import { benchProfile, describeHeart } from './profiles.js';
import { appState, arg, sleep, startMirrorPair } from './pair.js';

const profileName = arg('--profile', 'fast');
const profile = benchProfile(profileName);
const seconds = Number(arg('--seconds', '600'));
const RESULTS = fileURLToPath(new URL('../../bench/results/', import.meta.url));

async function main(): Promise<void> {
  const why = labUnavailable();
  if (why) throw new Error(`the soak benchmark ${why}`);
  const dir = mkdtempSync(join(tmpdir(), 'bench-soak-'));
  const lab = new Lab(dir, 2, '10.85.0');
  const spinners: ChildProcess[] = [];
  try {
    const state = (n: string) => appState(lab, n);
    const module = `<safe><service mode="mirror" timing="${profile.name}"><heart><heartbeat name="default"/></heart>
      <vip><interface_list><interface><real_interface><virtual_addr addr="10.85.0.100" where="one_side_alias" netmask="255.255.255.0"/></real_interface></interface></interface_list></vip><user/></service></safe>`;
    await startMirrorPair(lab, dir, '10.85.0', [{ name: 'conf/userconfig.xml', data: Buffer.from(module), mode: 0o644 }]);
    const logLines = (n: string) => lab.tandem(n, 'log', '-m', 'app', '-s', '100000').stdout.split('\n');
    const before = { n1: logLines('n1').length, n2: logLines('n2').length };
    for (let i = 0; i < cpus().length; i++) spinners.push(spawn(process.execPath, ['-e', 'for(;;){}'], { stdio: 'ignore' }));
    process.stdout.write(`soak: ${profileName} (${describeHeart(profile)}), ${spinners.length} spinning processes, ${seconds} s\n`);
    await sleep(seconds * 1000);
    for (const s of spinners) s.kill('SIGKILL');
    const events = ['n1', 'n2'].flatMap((n) => logLines(n).slice(before[n as 'n1' | 'n2']).filter((l) => /heartbeat\.\S+ set to down|Action alone called|Local state (ALONE|WAIT|STOP)/.test(l)).map((l) => `${n} ${l}`));
    const result = {
      bench: 'soak', profile: profileName, heart: { pulseMs: profile.pulseMs, timeoutMs: profile.timeoutMs }, seconds, spinners: spinners.length,
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
