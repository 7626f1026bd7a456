// Failover benchmark (issue 4, BASELINES §1 method): a 2-node mirror module with a VIP and an HTTP
// responder in a namespace lab, a client starting a request every 10 ms; at a random phase of the
// heartbeat pulse, SIGSTOP then SIGKILL of every process of the primary node; failover time = end
// of the first good reply from the other node − the moment before the first signal. The killed
// node is restarted and joins as secondary; the next cycle kills the new primary.
//
//   node dist/bench/failover.js [--profile tandem|fast|safekit] [--runs N]
// Writes bench/results/failover-<profile>.json after every cycle (partial results survive).

import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir, cpus, release } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Lab, labUnavailable } from '../src/lab/lab.js';
import { firstGoodAfter, summarize } from './measure.js';
import { benchProfile, describeHeart } from './profiles.js';
import { appState, arg, sleep, startMirrorPair, until } from './pair.js';


const profileName = arg('--profile', 'tandem');
const profile = benchProfile(profileName);
const runs = Number(arg('--runs', profileName === 'safekit' ? '3' : '20'));
const POLLER = fileURLToPath(new URL('../../bench/poller.mjs', import.meta.url));
const RESULTS = fileURLToPath(new URL('../../bench/results/', import.meta.url));
const VIP = '10.83.0.100';

const MODULE = `<safe><service mode="mirror" timing="${profile.name}"><heart><heartbeat name="default"/></heart>
  <vip><interface_list><interface><real_interface><virtual_addr addr="${VIP}" where="one_side_alias" netmask="255.255.255.0"/></real_interface></interface></interface_list></vip>
  <user/></service></safe>`;
// As in BASELINES §1 the responder runs on both nodes (start_both, all addresses), so the time
// measured is detection + VIP move, like keepalived's; an application started by start_prim adds
// its own start-up time (a Node HTTP server: ≈ 150 ms here).
const START = `#!/bin/sh
nohup ${process.execPath} -e "require('http').createServer((q,r)=>r.end(process.env.TANDEM_NODE)).listen(8080)" > /dev/null 2>&1 &
echo $! > "$SAFEUSERVAR/app.pid"
`;
const STOP = '#!/bin/sh\n[ -f "$SAFEUSERVAR/app.pid" ] && kill "$(cat "$SAFEUSERVAR/app.pid")" 2>/dev/null; rm -f "$SAFEUSERVAR/app.pid"; exit 0\n';


async function main(): Promise<void> {
  const why = labUnavailable();
  if (why) throw new Error(`the failover benchmark ${why}`);
  const dir = mkdtempSync(join(tmpdir(), 'bench-failover-'));
  const lab = new Lab(dir, 3, '10.83.0');
  const result = { bench: 'failover', profile: profileName, heart: { pulseMs: profile.pulseMs, timeoutMs: profile.timeoutMs }, machine: `${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, Linux ${release()}`, date: new Date().toISOString(), runs: [] as { killed: string; ms: number; failedAfter: number }[] };
  const save = () => { mkdirSync(RESULTS, { recursive: true }); writeFileSync(join(RESULTS, `failover-${profileName}.json`), `${JSON.stringify(result, null, 2)}\n`); };
  try {
    const state = (n: string) => appState(lab, n);
    await startMirrorPair(lab, dir, '10.83.0', [
      { name: 'conf/userconfig.xml', data: Buffer.from(MODULE), mode: 0o644 },
      { name: 'bin/start_both', data: Buffer.from(START), mode: 0o755 },
      { name: 'bin/stop_both', data: Buffer.from(STOP), mode: 0o755 },
    ]);

    let primary = 'n1';
    for (let i = 0; i < runs; i++) {
      const other = primary === 'n1' ? 'n2' : 'n1';
      await sleep(Math.max(1000, 3 * profile.pulseMs));
      const poller = spawn('nsenter', [`--net=/var/run/netns/${lab.node('n3').netns}`, '--', process.execPath, POLLER, VIP, '8080', String((profile.timeoutMs + 3000) / 1000)], { stdio: ['ignore', 'pipe', 'ignore'] });
      let out = '';
      poller.stdout.on('data', (c: Buffer) => { out += c.toString(); });
      await sleep(300 + Math.random() * profile.pulseMs);
      const pids = spawnSync('ip', ['netns', 'pids', lab.node(primary).netns], { encoding: 'utf8' }).stdout.split('\n').filter(Boolean).map(Number);
      const killedAt = performance.timeOrigin + performance.now();
      for (const pid of pids) { try { process.kill(pid, 'SIGSTOP'); } catch { /* gone */ } }
      for (const pid of pids) { try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ } }
      await new Promise((r) => poller.on('exit', r));
      const r = firstGoodAfter(out, killedAt, other);
      result.runs.push({ killed: primary, ...r });
      save();
      process.stdout.write(`cycle ${i + 1}/${runs}: killed ${primary}, ${other} served after ${r.ms} ms (${r.failedAfter} failed requests after)\n`);
      if (process.env.BENCH_VERBOSE) process.stdout.write(`  killed at ${new Date(killedAt).toISOString()}\n${lab.tandem(other, 'log', '-m', 'app', '-A', '-s', '12').stdout}`);
      // the dead node comes back and joins as secondary
      lab.startDetachedDaemon(primary);
      await until(`${primary} daemon`, () => lab.tandem(primary, 'state', '-m', 'app').status === 0, 60_000);
      lab.tandem(primary, 'start', '-m', 'app');
      await until('pair again', () => state(other) === 'PRIM' && state(primary) === 'SECOND', 90_000);
      primary = other;
    }
    const summary = summarize(result.runs.map((r) => r.ms));
    Object.assign(result, { summary });
    save();
    process.stdout.write(`${profileName} (${describeHeart(profile)}): ${JSON.stringify(summary)}\n`);
  } finally {
    lab.teardown();
  }
}

main().catch((e: Error) => { process.stderr.write(`bench failover: ${e.message}\n`); process.exitCode = 1; });
