// Keepalived measured the way bench/failover.ts measures tandem (BASELINES §1): the same lab, the
// same responder on both nodes, the same client, SIGSTOP then SIGKILL of every process of the
// master's node at a random phase of the advert timer. n1 (priority 150) preempts back after each
// cycle, as in BASELINES.
//
//   node dist/bench/keepalived.js [--advert 1|0.1] [--runs N]

import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir, cpus, release } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Lab, labUnavailable } from '../src/lab/lab.js';
import { firstGoodAfter, summarize } from './measure.js';
import { arg, sleep, until } from './pair.js';

const advert = Number(arg('--advert', '1'));
const runs = Number(arg('--runs', '20'));
const POLLER = fileURLToPath(new URL('../../bench/poller.mjs', import.meta.url));
const RESULTS = fileURLToPath(new URL('../../bench/results/', import.meta.url));
const VIP = '10.84.0.100';

function conf(node: string, priority: number, state: string): string {
  return `global_defs {
  router_id ${node}
  vrrp_version ${advert < 1 ? 3 : 2}
  script_user root
  enable_script_security
}
vrrp_instance TDVI {
  state ${state}
  interface eth0
  virtual_router_id 84
  priority ${priority}
  advert_int ${advert}
  virtual_ipaddress {
    ${VIP}/24 dev eth0
  }
}
`;
}

async function main(): Promise<void> {
  const why = labUnavailable();
  if (why) throw new Error(`the keepalived benchmark ${why}`);
  if (spawnSync('keepalived', ['--version']).error) throw new Error('keepalived is not installed (apt-get install keepalived)');
  const dir = mkdtempSync(join(tmpdir(), 'bench-keepalived-'));
  const lab = new Lab(dir, 3, '10.84.0');
  const result = { bench: 'keepalived', advert_int: advert, version: spawnSync('keepalived', ['--version'], { encoding: 'utf8' }).stderr.split('\n')[0], machine: `${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, Linux ${release()}`, date: new Date().toISOString(), runs: [] as { ms: number; failedAfter: number }[] };
  const save = () => { mkdirSync(RESULTS, { recursive: true }); writeFileSync(join(RESULTS, `keepalived-advert-${advert}.json`), `${JSON.stringify(result, null, 2)}\n`); };
  const inNode = (node: string, argv: string[], logName: string) => {
    const n = lab.node(node);
    const log = openSync(join(dir, `${node}-${logName}.log`), 'a');
    spawn('nsenter', [`--net=/var/run/netns/${n.netns}`, `--mount=${n.mountns}`, '--', ...argv], { stdio: ['ignore', log, log], detached: true }).unref();
  };
  const startNode = (node: string) => {
    spawnSync('ip', ['-n', lab.node(node).netns, 'addr', 'del', `${VIP}/24`, 'dev', 'eth0'], { stdio: 'ignore' }); // a VIP the killed keepalived left
    const file = join(dir, `${node}.conf`);
    writeFileSync(file, conf(node, node === 'n1' ? 150 : 100, node === 'n1' ? 'MASTER' : 'BACKUP'));
    inNode(node, ['keepalived', '-n', '-l', '-D', '-G', '-P', '-f', file, '-p', join(dir, `${node}.pid`), '-r', join(dir, `${node}-vrrp.pid`)], 'keepalived');
    inNode(node, [process.execPath, '-e', `require('http').createServer((q,r)=>r.end('${node}')).listen(8080)`], 'http');
  };
  const holds = (node: string) => spawnSync('ip', ['-n', lab.node(node).netns, '-o', 'addr', 'show', 'dev', 'eth0'], { encoding: 'utf8' }).stdout.includes(`${VIP}/`);
  try {
    startNode('n2');
    startNode('n1');
    for (let i = 0; i < runs; i++) {
      await until('n1 master', () => holds('n1') && !holds('n2'), 30_000, 50);
      await sleep(Math.max(1000, 3000 * advert));
      const poller = spawn('nsenter', [`--net=/var/run/netns/${lab.node('n3').netns}`, '--', process.execPath, POLLER, VIP, '8080', String(3 * advert + 3)], { stdio: ['ignore', 'pipe', 'ignore'] });
      let out = '';
      poller.stdout.on('data', (c: Buffer) => { out += c.toString(); });
      await sleep(300 + Math.random() * advert * 1000);
      const pids = spawnSync('ip', ['netns', 'pids', lab.node('n1').netns], { encoding: 'utf8' }).stdout.split('\n').filter(Boolean).map(Number);
      const killedAt = performance.timeOrigin + performance.now();
      for (const pid of pids) { try { process.kill(pid, 'SIGSTOP'); } catch { /* gone */ } }
      for (const pid of pids) { try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ } }
      await new Promise((r) => poller.on('exit', r));
      const r = firstGoodAfter(out, killedAt, 'n2');
      result.runs.push(r);
      save();
      process.stdout.write(`cycle ${i + 1}/${runs}: n2 served after ${r.ms} ms (${r.failedAfter} failed requests after)\n`);
      startNode('n1'); // preempts back
    }
    const summary = summarize(result.runs.map((x) => x.ms));
    Object.assign(result, { summary });
    save();
    process.stdout.write(`keepalived advert_int ${advert}: ${JSON.stringify(summary)}\n`);
  } catch (e) {
    for (const f of ['n1-keepalived', 'n2-keepalived']) process.stderr.write(`--- ${f}\n${(() => { try { return readFileSync(join(dir, `${f}.log`), 'utf8').split('\n').slice(-15).join('\n'); } catch { return '(none)'; } })()}\n`);
    throw e;
  } finally {
    lab.teardown();
  }
}

main().catch((e: Error) => { process.stderr.write(`bench keepalived: ${e.message}\n`); process.exitCode = 1; });
