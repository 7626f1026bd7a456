// The application of the acknowledged-write ledger (issue 5's proof): appends numbered records to
// a file in a replicated directory, each with fsync, and logs "ack N" (to ACKLOG, outside the
// replicated directory) only once the fsync returned — the promise a database makes to its client.
// Every tenth record also goes into a file of its own, FILE.d/rec-N, put in place as a careful
// application does (written to rec-N.tmp, fsync, rename, fsync of the directory), logged "file N"
// once the directory's fsync returned. A failed step is retried (logging "err N CODE") until it
// succeeds or the deadline passes. Run inside a lab node:
//
//   node ledger-writer.js FILE COUNT PAUSE_MS DEADLINE_S ACKLOG
//
// Exits 0 when every record was acknowledged, 1 otherwise.
import * as fs from 'node:fs';
import { recordText } from './ledger-records.js';

const [file, countArg, pauseArg, deadlineArg, ackLog] = process.argv.slice(2);
const count = Number(countArg);
const pauseMs = Number(pauseArg);
const deadline = Date.now() + Number(deadlineArg) * 1000;
const note = (line: string) => fs.appendFileSync(ackLog, `${line}\n`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Writes all of `data` (a write may be short: the kernel's FUSE client ends a request at a page boundary). */
function writeAll(fd: number, data: Buffer): void {
  for (let at = 0; at < data.length;) at += fs.writeSync(fd, data, at);
}

/** Writes record `i` to `path` (opened with `flags`: "a" appends, "w" replaces) and fsyncs it. */
function writeDurably(path: string, flags: string, i: number): void {
  const fd = fs.openSync(path, flags);
  try {
    writeAll(fd, Buffer.from(recordText(i)));
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

function putInPlace(i: number): void {
  const dir = `${file}.d`;
  fs.mkdirSync(dir, { recursive: true });
  const tmp = `${dir}/rec-${i}.tmp`;
  writeDurably(tmp, 'w', i);
  fs.renameSync(tmp, `${dir}/rec-${i}`);
  const d = fs.openSync(dir, fs.constants.O_RDONLY | fs.constants.O_DIRECTORY);
  try { fs.fsyncSync(d); } finally { fs.closeSync(d); }
}

/** Runs `step` until it succeeds, then logs `done`; false once the deadline passed. */
async function untilDone(i: number, step: () => void, done: string): Promise<boolean> {
  for (;;) {
    if (Date.now() > deadline) { note(`gave up at ${i}`); return false; }
    try {
      step();
      note(done);
      return true;
    } catch (e) {
      note(`err ${i} ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
      await sleep(50);
    }
  }
}

for (let i = 1; i <= count; i++) {
  if (!await untilDone(i, () => writeDurably(file, 'a', i), `ack ${i}`)) process.exit(1);
  if (i % 10 === 0 && !await untilDone(i, () => putInPlace(i), `file ${i}`)) process.exit(1);
  if (pauseMs) await sleep(pauseMs);
}
process.exit(0);
