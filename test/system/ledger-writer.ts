// The application of the acknowledged-write ledger (issue 5's proof): appends numbered records to
// a file in a replicated directory, each with fsync, and prints "ack N" only once the fsync
// returned — the promise a database makes to its client. A failed record is retried (printing
// "err N CODE") until it succeeds or the deadline passes. Run inside a lab node:
//
//   node ledger-writer.js FILE COUNT [PAUSE_MS] [DEADLINE_S]
//
// Exits 0 when every record was acknowledged, 1 otherwise.
import * as fs from 'node:fs';

const [file, countArg, pauseArg, deadlineArg] = process.argv.slice(2);
const count = Number(countArg);
const pauseMs = Number(pauseArg ?? 5);
const deadline = Date.now() + Number(deadlineArg ?? 60) * 1000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

for (let i = 1; i <= count; i++) {
  for (;;) {
    if (Date.now() > deadline) { process.stdout.write(`gave up at ${i}\n`); process.exit(1); }
    try {
      const fd = fs.openSync(file, 'a');
      try {
        fs.writeSync(fd, `record ${i} ${'x'.repeat(40)}\n`);
        fs.fsyncSync(fd);
      } finally {
        fs.closeSync(fd);
      }
      process.stdout.write(`ack ${i}\n`);
      break;
    } catch (e) {
      process.stdout.write(`err ${i} ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}\n`);
      await sleep(50);
    }
  }
  if (pauseMs) await sleep(pauseMs);
}
process.exit(0);
