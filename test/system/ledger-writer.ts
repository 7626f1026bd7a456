// The application of the acknowledged-write ledger (issue 5's proof): appends numbered records to
// a file in a replicated directory, each with fsync, and logs "ack N" (to ACKLOG, outside the
// replicated directory) only once the fsync returned — the promise a database makes to its client.
// A failed record is retried (logging "err N CODE") until it succeeds or the deadline passes. Run
// inside a lab node:
//
//   node ledger-writer.js FILE COUNT PAUSE_MS DEADLINE_S ACKLOG
//
// Exits 0 when every record was acknowledged, 1 otherwise.
import * as fs from 'node:fs';

const [file, countArg, pauseArg, deadlineArg, ackLog] = process.argv.slice(2);
const count = Number(countArg);
const pauseMs = Number(pauseArg);
const deadline = Date.now() + Number(deadlineArg) * 1000;
const note = (line: string) => fs.appendFileSync(ackLog, `${line}\n`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

for (let i = 1; i <= count; i++) {
  for (;;) {
    if (Date.now() > deadline) { note(`gave up at ${i}`); process.exit(1); }
    try {
      const fd = fs.openSync(file, 'a');
      try {
        // a write may be short (the kernel splits a FUSE write where the caller's buffer crosses a
        // page it must fault in): the rest is written as any careful application does
        const record = Buffer.from(`record ${i} ${'x'.repeat(40)}\n`);
        for (let at = 0; at < record.length;) at += fs.writeSync(fd, record, at);
        fs.fsyncSync(fd);
      } finally {
        fs.closeSync(fd);
      }
      note(`ack ${i}`);
      break;
    } catch (e) {
      note(`err ${i} ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
      await sleep(50);
    }
  }
  if (pauseMs) await sleep(pauseMs);
}
process.exit(0);
