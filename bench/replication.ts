// The replication benchmark (issue 5): the same workloads on the same disk, in one run, against
//   direct        a plain directory,
//   passthrough   our FUSE server alone (serve.js, no replication): the cost of FUSE,
//   replicated    the primary of a running mirror pair in the lab (FUSE + synchronous replication
//                 over TLS to the secondary, whose copy is on the same disk): the cost of both;
// then reintegration after the secondary was away, against `rsync -a --no-whole-file` to an rsync
// daemon in the peer's namespace (the fair delta mode), page cache dropped before each: (a) one
// database-like file with 1 % of its 4 KiB blocks rewritten, (b) a tree of small files with 1 %
// rewritten; and the heartbeat gaps seen during the write workloads. Results in
// bench/results/replication.json.
//
//   node dist/bench/replication.js [--seq-mb 2048] [--small 50000] [--fsync 2000] [--db-mb 4096] [--tree 200000]
//                                  [--quick]   (the three workloads only, printed, nothing saved)
//                                  [--async second|none]   (<rfs async>: acknowledged on receipt or once applied)
//                                  [--full-sync-only]   (only the two full synchronisations; the
//                                  other results in replication.json are kept)
//                                  [--halt-poll-ns N]   (a KVM guest's idle vCPUs poll N ns before
//                                  they halt, for this run only: bench/vcpu-idle.ts; results in
//                                  replication-halt-poll.json)

import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import { join, resolve } from 'node:path';
import { tmpdir } from 'node:os';
import { Lab } from '../src/lab/lab.js';
import { arg, sleep, until, appState, installPair } from './pair.js';
import { describe, setHaltPoll, vcpuIdle } from './vcpu-idle.js';

const SEQ_MB = Number(arg('--seq-mb', '2048'));
const SMALL = Number(arg('--small', '50000'));
const FSYNCS = Number(arg('--fsync', '2000'));
const DB_MB = Number(arg('--db-mb', '4096'));
const TREE = Number(arg('--tree', '200000'));
const QUICK = process.argv.includes('--quick');
const FULL_ONLY = process.argv.includes('--full-sync-only');
const HALT_POLL_NS = process.argv.includes('--halt-poll-ns') ? Number(arg('--halt-poll-ns', '')) : null;
const RESULTS = HALT_POLL_NS === null ? 'bench/results/replication.json' : 'bench/results/replication-halt-poll.json';
const ASYNC = arg('--async', 'second');
const WORKLOAD = resolve('dist/bench/fs-workload.js');
const RTT = resolve('dist/bench/rtt.js');
const SUBNET = '10.84.0';
const results: Record<string, unknown> = FULL_ONLY && fs.existsSync(RESULTS)
  ? { ...JSON.parse(fs.readFileSync(RESULTS, 'utf8')) as Record<string, unknown>, fullSyncAt: new Date().toISOString() }
  : { machine: '2 vCPU (this machine kind)', args: { SEQ_MB, SMALL, FSYNCS, DB_MB, TREE, ASYNC }, at: new Date().toISOString() };
const save = () => QUICK || fs.writeFileSync(RESULTS, `${JSON.stringify(results, null, 2)}\n`);
const dropCaches = () => fs.writeFileSync('/proc/sys/vm/drop_caches', '3');

function parseLast(out: string): Record<string, number> {
  const line = out.trim().split('\n').pop() ?? '';
  try { return JSON.parse(line) as Record<string, number>; } catch { throw new Error(`the workload printed no result: ${out}`); }
}

/** CPU seconds (user + system) a process has used so far; 0 once it is gone. */
function cpuSeconds(pid: number): number {
  try {
    const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100; // utime, stime in clock ticks (USER_HZ 100)
  } catch { return 0; }
}

/**
 * The three workloads in `dir` (a fresh directory each), on the host or in a lab node. With
 * `processes`, the CPU seconds each of them used during each workload go in its result: the lab's
 * two nodes share this machine's cores, so the secondary's work competes with the primary's.
 */
function workloads(runIn: (argv: string[]) => string, dir: (name: string) => string, processes: Record<string, number> = {}): Record<string, Record<string, number>> {
  const one = (kind: string, n: number) => {
    const d = dir(kind);
    const before = Object.fromEntries(Object.entries(processes).map(([name, pid]) => [name, cpuSeconds(pid)]));
    const r = parseLast(runIn([process.execPath, WORKLOAD, kind, d, String(n)]));
    for (const [name, pid] of Object.entries(processes)) r[`${name}CpuS`] = +(cpuSeconds(pid) - before[name]).toFixed(2);
    console.log(`   ${kind}: ${JSON.stringify(r)}`);
    return r;
  };
  return { seq: one('seq', SEQ_MB), small: one('small', SMALL), fsync: one('fsync', FSYNCS) };
}

function hostRun(argv: string[]): string {
  const r = spawnSync(argv[0], argv.slice(1), { encoding: 'utf8', timeout: 3_600_000 });
  if (r.status !== 0) throw new Error(`${argv.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

/**
 * A fresh ext4 file system without a journal (as the work disk) in a sparse image on the same disk,
 * loop-mounted at base/NAME. Each variant gets its own: ext4 creates files ~19× slower right after a
 * mass delete, so a variant run after another's 50 000 unlinks would be measured unfairly.
 */
function freshFs(base: string, name: string, gib: number): string {
  const img = join(base, `${name}.img`);
  const mnt = join(base, name);
  fs.writeFileSync(img, '');
  fs.truncateSync(img, gib * 1024 ** 3);
  for (const [cmd, ...args] of [['mkfs.ext4', '-q', '-F', '-O', '^has_journal', img], ['mkdir', '-p', mnt], ['mount', '-o', 'loop', img, mnt]]) {
    const r = spawnSync(cmd, args, { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')}: ${r.stderr}`);
  }
  return mnt;
}

async function passthrough(base: string): Promise<Record<string, Record<string, number>>> {
  const mnt = join(base, 'passthrough-fs', 'mnt');
  fs.mkdirSync(mnt);
  const child = spawn(process.execPath, ['dist/src/fuse/serve.js', mnt], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout!.on('data', (c: Buffer) => { out += c.toString(); });
  try {
    await until('serve.js ready', () => out.includes('READY'), 15_000);
    return workloads(hostRun, (k) => { fs.mkdirSync(join(mnt, k)); return join(mnt, k); }, { server: child.pid! });
  } finally {
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
    spawnSync('umount', ['-l', mnt]);
  }
}

/** A running pair, n1 primary and n2 an up-to-date secondary, replicating `data`. */
async function pair(lab: Lab, dir: string, data: string): Promise<void> {
  const xml = `<safe><service mode="mirror"><heart><heartbeat name="default"/></heart><rfs async="${ASYNC}"><replicated dir="${data}"/></rfs><user/></service></safe>`;
  await installPair(lab, dir, SUBNET, [{ name: 'conf/userconfig.xml', data: Buffer.from(xml), mode: 0o644 }]);
  lab.tandem('n1', 'start', '-m', 'app');
  await until('n1 waits', () => appState(lab, 'n1') === 'WAIT', 30_000);
  lab.tandem('n1', 'prim', '-m', 'app');
  await until('n1 alone', () => appState(lab, 'n1') === 'ALONE', 30_000);
  lab.tandem('n2', 'second', '-m', 'app');
  await synced(lab);
}

/** n2 up to date under n1; with `also`, once that holds too (a reintegration logged since the start). */
async function synced(lab: Lab, ms = 1_800_000, also: () => boolean = () => true): Promise<void> {
  await until('n2 up to date', () => appState(lab, 'n2') === 'SECOND' && appState(lab, 'n1') === 'PRIM'
    && lab.tandem('n2', 'get', '-m', 'app', '-r', 'rfs.uptodate').stdout.trim() === 'up' && also(), ms, 200);
}

interface Logged { how: string; entries: number; bytes: number; ms: number; ended: boolean }

/** The reintegrations of n2 in n1's log, in order: how each began, and what it sent if it ended. */
function loggedReintegrations(lab: Lab): Logged[] {
  const out: Logged[] = [];
  for (const line of lab.tandem('n1', 'log', '-m', 'app', '-A').stdout.split('\n')) {
    const begins = /Reintegration of n2 begins: (.*)/.exec(line);
    if (begins) out.push({ how: begins[1].trim(), entries: 0, bytes: 0, ms: 0, ended: false });
    const ended = /Reintegration of n2 ended: (\d+) entries, (\d+) bytes sent in (\d+) ms/.exec(line);
    const last = out[out.length - 1];
    if (ended && last) Object.assign(last, { entries: Number(ended[1]), bytes: Number(ended[2]), ms: Number(ended[3]), ended: true });
  }
  return out;
}

/**
 * Starts n2 with `verb` and waits until a reintegration that began after it ended and n2 is up to
 * date: the last one that ended, and all of them when there were several (a connection lost and
 * made again, a full synchronisation after zones…), which the benchmark reports.
 */
async function reintegrate(lab: Lab, verb: string[]): Promise<{ wallS: number; r: Logged; all: Logged[] }> {
  const before = loggedReintegrations(lab).length;
  const t0 = Date.now();
  lab.tandem('n2', ...verb, '-m', 'app');
  await synced(lab, undefined, () => loggedReintegrations(lab).slice(before).some((l) => l.ended));
  const wallS = (Date.now() - t0) / 1000;
  const all = loggedReintegrations(lab).slice(before);
  const r = all.filter((l) => l.ended).pop()!;
  if (all.length > 1) console.log(`   ${all.length} reintegrations since the start: ${JSON.stringify(all)}`);
  return { wallS, r, all };
}

/** rsync -a --no-whole-file of `src` (on n1) to a daemon in n2 serving `dst`: seconds and bytes
 * sent. With `checksum`, -c: every file read and compared on both sides (a full synchronisation). */
async function rsyncTo(lab: Lab, dir: string, src: string, dst: string, checksum = false): Promise<{ s: number; sentBytes: number; literalBytes: number }> {
  const conf = join(dir, 'rsyncd.conf');
  fs.writeFileSync(conf, `pid file = ${join(dir, 'rsyncd.pid')}\nuse chroot = no\nuid = root\ngid = root\n[dst]\n path = ${dst}\n read only = no\n`);
  const daemon = lab.start('n2', ['rsync', '--daemon', '--no-detach', `--config=${conf}`, `--address=${SUBNET}.2`, '--port=8730']);
  try {
    await until('rsync daemon', () => lab.run('n1', ['rsync', `rsync://${SUBNET}.2:8730/`]).status === 0, 10_000);
    dropCaches();
    const t0 = Date.now();
    const r = lab.run('n1', ['rsync', '-a', ...(checksum ? ['-c'] : []), '--no-whole-file', '--stats', src, `rsync://${SUBNET}.2:8730/dst/`], 3_600_000);
    const s = (Date.now() - t0) / 1000;
    if (r.status !== 0) throw new Error(`rsync failed: ${r.stderr}`);
    const num = (re: RegExp) => Number((re.exec(r.stdout)?.[1] ?? '0').replace(/,/g, ''));
    return { s, sentBytes: num(/Total bytes sent: ([\d,]+)/), literalBytes: num(/Literal data: ([\d,]+)/) };
  } finally {
    daemon.kill('SIGKILL');
    spawnSync('pkill', ['-f', conf]);
  }
}

/** The plain TCP round trip from n1 to n2 (bench/rtt.ts), the baseline of the fsync target. */
async function networkRtt(lab: Lab): Promise<Record<string, number>> {
  const echo = lab.start('n2', [process.execPath, RTT, 'echo', `${SUBNET}.2`, '8731']);
  try {
    const ping = () => lab.run('n1', [process.execPath, RTT, 'ping', `${SUBNET}.2`, '8731', '2100']);
    let r = ping();
    await until('the echo server on n2', () => r.status === 0 || (r = ping()).status === 0, 10_000); // it may not listen yet
    return parseLast(r.stdout);
  } finally {
    echo.kill('SIGKILL');
    spawnSync('pkill', ['-f', `${RTT} echo`]);
  }
}

/**
 * A full synchronisation of identical copies (`second fullsync`: every block hashed on both sides,
 * nothing to send) against `rsync -a -c --no-whole-file` to a copy of n2's data (every file read
 * and checksummed on both sides): the cost of comparing everything.
 */
async function fullSync(lab: Lab, dir: string, n1dir: string, n2dir: string, name: string, rsyncSrc: string): Promise<Record<string, unknown>> {
  lab.tandem('n2', 'stop', '-m', 'app');
  await until('n1 alone', () => appState(lab, 'n1') === 'ALONE', 60_000);
  const dst = join(n2dir, '..', `rsync-full-${name}`);
  spawnSync('cp', ['-a', `${n2dir}/${name}`, dst]);
  const rsync = await rsyncTo(lab, dir, join(n1dir, rsyncSrc), dst, true);
  spawnSync('rm', ['-rf', dst]);
  dropCaches();
  const { wallS, r, all } = await reintegrate(lab, ['second', 'fullsync']);
  const out = { tandem: { wallS, how: r.how, reintegrations: all.length, reintegrationS: r.ms / 1000, bytesSent: r.bytes, entries: r.entries }, rsync, speedup: +(rsync.s / (r.ms / 1000)).toFixed(2) };
  console.log(`   full: ${JSON.stringify(out)}`);
  return out;
}

/** Stops n2, changes the data on n1 (alone), measures rsync from a copy of n2's old state, then tandem's reintegration. */
async function reintegration(lab: Lab, dir: string, n1dir: string, n2dir: string, name: string, change: () => number, rsyncSrc: string): Promise<Record<string, unknown>> {
  lab.tandem('n2', 'stop', '-m', 'app');
  await until('n1 alone', () => appState(lab, 'n1') === 'ALONE', 60_000);
  const dst = join(n2dir, '..', `rsync-${name}`);
  spawnSync('cp', ['-a', `${n2dir}/${name}`, dst]); // the secondary's old state, for rsync
  const changedBytes = change();
  const rsync = await rsyncTo(lab, dir, join(n1dir, rsyncSrc), dst);
  dropCaches();
  const { wallS, r, all } = await reintegrate(lab, ['start']);
  if (!r.how.startsWith('changed zones') || r.bytes !== changedBytes) {
    // not what the dirty map should have sent: both nodes' logs say what happened
    const lines = (n: string) => lab.tandem(n, 'log', '-m', 'app', '-A').stdout.split('\n').filter((l) => /Reintegration|Replication|replicat|secondary|primary|generation|Local state|heartbeat|stopped/i.test(l)).slice(-40).join('\n');
    console.log(`   the reintegration was not the dirty map's ${changedBytes} bytes (${r.how}); n1's log:\n${lines('n1')}\n   n2's log:\n${lines('n2')}`);
  }
  spawnSync('rm', ['-rf', dst]);
  const out = { changedBytes, tandem: { wallS, how: r.how, reintegrations: all.length, reintegrationS: r.ms / 1000, bytesSent: r.bytes, entries: r.entries }, rsync, speedup: +(rsync.s / (r.ms / 1000)).toFixed(2), bytesRatio: +(r.bytes / changedBytes).toFixed(2) };
  console.log(`   ${JSON.stringify(out)}`);
  return out;
}

/** The workloads of the three variants, then the two reintegrations (unless --quick). */
async function measure(lab: Lab, base: string, direct: string): Promise<void> {
  const data = join(base, 'data');
  // each node's data in a directory of its own image; rsync's copies go beside n2's, on the same
  // file system and loop device: the same storage for both tools
  const backing = { n1: join(base, 'n1-data', 'data'), n2: join(base, 'n2-data', 'data') };
  for (const d of Object.values(backing)) fs.mkdirSync(d, { recursive: true });
  if (!FULL_ONLY) await workloadsAndRatios(lab, base, direct, data, backing);
  if (QUICK) return;
  await reintegrations(lab, base, data, backing);
  await sleep(100);
  console.log(JSON.stringify(results, null, 2));
}

/** The three workloads of each variant (the pair is started on the way), and their ratios. */
async function workloadsAndRatios(lab: Lab, base: string, direct: string, data: string, backing: Record<'n1' | 'n2', string>): Promise<void> {
  console.log('== direct (a fresh file system on the same disk)');
  results.direct = workloads(hostRun, (k) => { const d = join(direct, k); fs.mkdirSync(d); return d; });
  save();
  console.log('== passthrough (our FUSE server, no replication)');
  results.passthrough = await passthrough(base);
  save();
  console.log('== replicated (primary of a mirror pair, synchronous replication to the secondary)');
  await startPair(lab, base, data, backing);
  const replicator = (n: string) => Number(fs.readFileSync(join(base, 'lab', n, 'run/tandem/replicator.app.pid'), 'utf8'));
  results.replicated = workloads((argv) => {
    const r = lab.run('n1', argv, 3_600_000);
    if (r.status !== 0) throw new Error(`${argv.join(' ')}: ${r.stderr}`);
    return r.stdout;
  }, (k) => { lab.run('n1', ['mkdir', join(data, k)]); return join(data, k); }, { primaryReplicator: replicator('n1'), secondaryReplicator: replicator('n2') });
  const hb = JSON.parse(lab.tandem('n1', 'state', '-m', 'app', '-v', '--json').stdout) as { heartbeats?: Record<string, { maxGapMs: number; late: Record<string, number>; received: number }> };
  results.heartbeatsDuringWrites = hb.heartbeats;
  for (const [ident, h] of Object.entries(hb.heartbeats ?? {})) console.log(`   heartbeat ${ident} during the writes: ${h.received} received, largest gap ${h.maxGapMs} ms, late ${JSON.stringify(h.late)}`);
  save();

  results.networkRtt = await networkRtt(lab);
  console.log(`   network round trip n1 → n2 (plain TCP, 64 bytes): ${JSON.stringify(results.networkRtt)}`);
  save();

  const ratios = (a: Record<string, Record<string, number>>, b: Record<string, Record<string, number>>) => ({
    seqWrite: +(a.seq.writeMBps / b.seq.writeMBps).toFixed(2), seqRead: +(a.seq.readMBps / b.seq.readMBps).toFixed(2),
    smallCreate: +(a.small.createPerS / b.small.createPerS).toFixed(3), smallUnlink: +(a.small.unlinkPerS / b.small.unlinkPerS).toFixed(3),
    fsyncP50OverUs: a.fsync.p50us - b.fsync.p50us,
  });
  const rep = results.replicated as Record<string, Record<string, number>>;
  results.ratios = { replicatedVsDirect: ratios(rep, results.direct as never), replicatedVsPassthrough: ratios(rep, results.passthrough as never) };
  console.log(`== ratios ${JSON.stringify(results.ratios)}`);
  const rtt = (results.networkRtt as Record<string, number>).p50us;
  const over = rep.fsync.p50us - (results.direct as Record<string, Record<string, number>>).fsync.p50us;
  const target = 2 * rtt + 300;
  results.fsyncTarget = { overDirectUs: over, targetUs: target, met: over <= target };
  console.log(`== fsync p50 over direct ${over} µs; target 2 × RTT (${rtt} µs) + 300 = ${target} µs: ${over <= target ? 'met' : 'not met'}`);
  save();
}

async function startPair(lab: Lab, base: string, data: string, backing: Record<'n1' | 'n2', string>): Promise<void> {
  lab.bindDir('n1', backing.n1, data);
  lab.bindDir('n2', backing.n2, data);
  await pair(lab, join(base, 'lab'), data);
}

/** Reintegration after a stop of the secondary, then a full synchronisation, for both shapes. */
async function reintegrations(lab: Lab, base: string, data: string, backing: Record<'n1' | 'n2', string>): Promise<void> {
  if (FULL_ONLY) await startPair(lab, base, data, backing);
  console.log(`== reintegration (a): one ${DB_MB} MiB file, 1 % of its 4 KiB blocks rewritten while the secondary was stopped`);
  lab.run('n1', ['mkdir', join(data, 'db')]);
  const mk = lab.run('n1', ['sh', '-c', `dd if=/dev/urandom of=${join(data, 'db', 'db.bin')} bs=1M count=${DB_MB} status=none && sync`], 3_600_000);
  if (mk.status !== 0) throw new Error(mk.stderr);
  await synced(lab);
  const blocks = Math.floor((DB_MB * 1024 * 1024) / 4096 / 100);
  if (!FULL_ONLY) {
    results.reintegrationDb = await reintegration(lab, base, backing.n1, backing.n2, 'db', () => {
      const r = lab.run('n1', [process.execPath, WORKLOAD, 'scatter', join(data, 'db', 'db.bin'), String(blocks)], 600_000);
      return parseLast(r.stdout).bytes;
    }, 'db/');
    save();
  }
  results.fullSyncDb = await fullSync(lab, base, backing.n1, backing.n2, 'db', 'db/');
  save();

  console.log(`== reintegration (b): ${TREE} files of 4 KiB, 1 % rewritten while the secondary was stopped`);
  // a full synchronisation covers the whole replicated directory, rsync's only the tree: without
  // the database file both compare the same data (the workloads removed their files)
  lab.run('n1', ['rm', '-rf', join(data, 'db')]);
  lab.run('n1', ['mkdir', join(data, 'tree')]);
  const t = lab.run('n1', [process.execPath, WORKLOAD, 'tree', join(data, 'tree'), String(TREE)], 3_600_000);
  if (t.status !== 0) throw new Error(t.stderr);
  await synced(lab);
  if (!FULL_ONLY) {
    results.reintegrationTree = await reintegration(lab, base, backing.n1, backing.n2, 'tree', () => {
      const r = lab.run('n1', [process.execPath, WORKLOAD, 'touch', join(data, 'tree'), String(TREE)], 600_000);
      return parseLast(r.stdout).bytes;
    }, 'tree/');
    save();
  }
  results.fullSyncTree = await fullSync(lab, base, backing.n1, backing.n2, 'tree', 'tree/');
  save();
}

async function main(): Promise<void> {
  if (spawnSync('rsync', ['--version']).error) {
    spawnSync('apt-get', ['install', '-y', '-q', 'rsync'], { stdio: 'inherit' });
  }
  if (HALT_POLL_NS !== null && !(Number.isInteger(HALT_POLL_NS) && HALT_POLL_NS >= 0)) throw new Error('--halt-poll-ns takes a whole number of nanoseconds, 0 or more');
  const restoreHaltPoll = HALT_POLL_NS === null ? () => undefined : setHaltPoll(HALT_POLL_NS);
  results.vcpuIdle = vcpuIdle();
  console.log(describe(results.vcpuIdle as ReturnType<typeof vcpuIdle>));
  const base = fs.mkdtempSync(join(tmpdir(), 'bench-repl-'));
  fs.mkdirSync(join(base, 'lab'));
  const images = ['direct', 'passthrough-fs', 'n1-data', 'n2-data'];
  let lab: Lab | null = null;
  const cleanUp = () => {
    lab?.teardown();
    lab = null;
    for (const name of images) spawnSync('umount', ['-l', join(base, name)]);
    fs.rmSync(base, { recursive: true, force: true });
    restoreHaltPoll();
  };
  // an interrupted run leaves no namespace, node process or mount behind either
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => { cleanUp(); process.exit(130); });
  try {
    // before the lab: its nodes' mount namespaces are copies of ours, made when it starts
    const direct = freshFs(base, 'direct', SEQ_MB / 1024 + 2);
    freshFs(base, 'passthrough-fs', SEQ_MB / 1024 + 2);
    for (const n of ['n1-data', 'n2-data']) freshFs(base, n, SEQ_MB / 1024 + 3 * (DB_MB / 1024) + 2 * Math.ceil(TREE / 100_000) + 2);
    lab = new Lab(join(base, 'lab'), 2, SUBNET);
    await measure(lab, base, direct);
  } finally {
    cleanUp();
  }
}

main().catch((e: Error) => { console.error(`replication benchmark: ${e.message}`); process.exit(1); });
