// What the ledger writer (ledger-writer.ts) writes and logs, for it and for the tests that check
// its records after faults (mirror-ledger, mirror-powerloss).
import * as fs from 'node:fs';

/** The text of record `i`: what the append adds, and all its file of its own (FILE.d/rec-N) holds. */
export const recordText = (i: number): string => `record ${i} ${'x'.repeat(40)}\n`;

/** The numbers an acknowledgement log gives for `kind`: "ack" (appended) or "file" (put in place). */
export function logged(ackLog: string, kind: 'ack' | 'file'): number[] {
  return fs.readFileSync(ackLog, 'utf8').split('\n').filter((l) => l.startsWith(`${kind} `)).map((l) => Number(l.slice(kind.length + 1)));
}

/**
 * The records acknowledged in files of their own that a copy lacks or holds wrong, each described;
 * `read(name)` gives the text of FILE.d/`name` on that copy, or null when it is not there.
 */
export function misplaced(placed: readonly number[], read: (name: string) => string | null): string[] {
  const out: string[] = [];
  for (const i of placed) {
    const text = read(`rec-${i}`);
    if (text === null) out.push(`rec-${i} missing`);
    else if (text !== recordText(i)) out.push(`rec-${i} holds "${text.slice(0, 60)}"`);
  }
  return out;
}
