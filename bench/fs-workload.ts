// File-system workloads of the replication benchmark, run inside the directory under test (direct,
// FUSE passthrough, or replicated) and printing one JSON line of results:
//
//   node fs-workload.js seq DIR MB        sequential write (1 MiB writes, one fsync at the end),
//                                         then read after the page cache was dropped: MB/s
//   node fs-workload.js small DIR COUNT   create + write 4 KiB + close COUNT files in a fresh
//                                         directory, then unlink them: files/s
//   node fs-workload.js fsync DIR COUNT   append 4 KiB + fdatasync COUNT times: latency µs
//   node fs-workload.js scatter FILE COUNT   rewrite COUNT random 4 KiB blocks of FILE, then fsync
//   node fs-workload.js tree DIR COUNT    COUNT files of 4 KiB in DIR, 1 000 per subdirectory
//   node fs-workload.js touch DIR COUNT   rewrite the first 4 KiB of every (COUNT/100)th file of a tree
import * as fs from 'node:fs';
import { join } from 'node:path';
import { percentile } from './measure.js';

const [kind, dir, nArg] = process.argv.slice(2);
const n = Number(nArg);
const now = () => Number(process.hrtime.bigint()) / 1e6; // ms
const dropCaches = () => { try { fs.writeFileSync('/proc/sys/vm/drop_caches', '3'); } catch { /* not root: warm cache */ } };

function seq(): object {
  const file = join(dir, `seq-${process.pid}.bin`);
  const chunk = Buffer.alloc(1024 * 1024, 0x5a);
  let t0 = now();
  const fd = fs.openSync(file, 'w');
  for (let i = 0; i < n; i++) fs.writeSync(fd, chunk, 0, chunk.length, i * chunk.length);
  const fsyncAt = now();
  fs.fsyncSync(fd);
  fs.closeSync(fd);
  const writeMs = now() - t0;
  const fsyncMs = now() - fsyncAt;
  dropCaches();
  t0 = now();
  const rfd = fs.openSync(file, 'r');
  const buf = Buffer.allocUnsafe(chunk.length);
  let bytes = 0;
  for (let got = 1; got > 0; bytes += got) got = fs.readSync(rfd, buf, 0, buf.length, bytes);
  fs.closeSync(rfd);
  const readMs = now() - t0;
  fs.unlinkSync(file);
  return { mb: n, writeMBps: Math.round(n / (writeMs / 1000)), fsyncMs: Math.round(fsyncMs), readMBps: Math.round((bytes / 1048576) / (readMs / 1000)) };
}

function small(): object {
  const sub = join(dir, `small-${process.pid}-${Date.now()}`);
  fs.mkdirSync(sub);
  const data = Buffer.alloc(4096, 0x61);
  let t0 = now();
  for (let i = 0; i < n; i++) {
    const fd = fs.openSync(join(sub, `f${i}`), 'w');
    fs.writeSync(fd, data);
    fs.closeSync(fd);
  }
  const createMs = now() - t0;
  t0 = now();
  for (let i = 0; i < n; i++) fs.unlinkSync(join(sub, `f${i}`));
  const unlinkMs = now() - t0;
  fs.rmdirSync(sub);
  return { files: n, createPerS: Math.round(n / (createMs / 1000)), unlinkPerS: Math.round(n / (unlinkMs / 1000)) };
}

function fsyncs(): object {
  const file = join(dir, `fsync-${process.pid}.log`);
  const fd = fs.openSync(file, 'a');
  const data = Buffer.alloc(4096, 0x62);
  const us: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = now();
    fs.writeSync(fd, data);
    fs.fdatasyncSync(fd);
    us.push((now() - t0) * 1000);
  }
  fs.closeSync(fd);
  fs.unlinkSync(file);
  us.sort((a, b) => a - b);
  return { appends: n, p50us: Math.round(percentile(us, 50)), p99us: Math.round(percentile(us, 99)) };
}

function scatter(): object {
  const fd = fs.openSync(dir, 'r+');
  const blocks = Math.floor(fs.fstatSync(fd).size / 4096);
  const data = Buffer.allocUnsafe(4096);
  const done = new Set<number>();
  while (done.size < n) {
    const b = Math.floor(Math.random() * blocks);
    if (done.has(b)) continue;
    done.add(b);
    for (let i = 0; i < 4096; i++) data[i] = Math.floor(Math.random() * 256);
    fs.writeSync(fd, data, 0, 4096, b * 4096);
  }
  fs.fsyncSync(fd);
  fs.closeSync(fd);
  return { blocks: n, bytes: n * 4096 };
}

const treePath = (i: number) => join(dir, `d${Math.floor(i / 1000)}`, `f${i}`);

function tree(): object {
  const data = Buffer.alloc(4096, 0x63);
  for (let i = 0; i < n; i++) {
    if (i % 1000 === 0) fs.mkdirSync(join(dir, `d${i / 1000}`), { recursive: true });
    fs.writeFileSync(treePath(i), data);
  }
  return { files: n };
}

function touch(): object {
  const data = Buffer.alloc(4096, 0x64);
  let files = 0;
  for (let i = 0; i < n; i += 100, files++) {
    const fd = fs.openSync(treePath(i), 'r+');
    fs.writeSync(fd, data, 0, 4096, 0);
    fs.closeSync(fd);
  }
  return { files, bytes: files * 4096 };
}

const run: Record<string, () => object> = { seq, small, fsync: fsyncs, scatter, tree, touch };
if (!run[kind] || !dir || !(n > 0)) {
  process.stderr.write('usage: fs-workload.js seq|small|fsync DIR N\n');
  process.exit(2);
}
process.stdout.write(`${JSON.stringify(run[kind]())}\n`);
