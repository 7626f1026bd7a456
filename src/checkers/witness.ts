// The split-brain witness (SAFEKIT-BEHAVIOUR §2.5, §5.11 <splitbrain>): asked only when every
// heartbeat is lost, never polled. The node that reaches at least one witness may go ALONE; the
// other goes to WAIT. With exec="ping" (the default) each address gets ICMP echoes every 200 ms
// until one answers or the checker's timeout ends, so one lost packet does not take a healthy node
// out of service; another exec is run once per address with the address as its argument, and
// exit 0 means reached.

import { execFile } from 'node:child_process';
import { isAbsolute, join } from 'node:path';
import { promisify } from 'node:util';
import type { Checker } from '../shared/config.js';

const run = promisify(execFile);

export interface WitnessAnswer {
  /** The witnesses that answered (empty: none did). */
  readonly answered: readonly string[];
  readonly asked: readonly string[];
}

export async function askWitnesses(c: Checker, binDir: string, env: NodeJS.ProcessEnv): Promise<WitnessAnswer> {
  const asked = c.target.witnesses.split(/[\s,]+/).filter(Boolean);
  const deadline = Math.max(1, Math.ceil(c.timeoutMs / 1000));
  const reach = (addr: string): Promise<boolean> => {
    const exec = c.target.exec || 'ping';
    const call = exec === 'ping'
      ? run('ping', ['-n', '-q', '-c', '1', '-i', '0.2', '-w', String(deadline), addr])
      : run(isAbsolute(exec) ? exec : join(binDir, exec), [addr], { env, timeout: c.timeoutMs });
    return call.then(() => true, () => false);
  };
  const results = await Promise.all(asked.map(reach));
  return { asked, answered: asked.filter((_, i) => results[i]) };
}
