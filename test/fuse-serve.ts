// Starts `dist/src/fuse/serve.js` (a stand-alone FUSE mount) for a test and follows its output.
import { spawn, type ChildProcess } from 'node:child_process';
import { until } from './helpers.js';

export interface Served {
  readonly child: ChildProcess;
  out(): string;
  err(): string;
  /** Resolves when the process has exited. */
  readonly exited: Promise<unknown>;
}

/** Spawns serve.js with `args` and waits until it printed READY (mounted, and connected if asked). */
export async function serve(args: readonly string[], ms = 15_000): Promise<Served> {
  const child = spawn(process.execPath, ['dist/src/fuse/serve.js', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout!.on('data', (c: Buffer) => { out += c.toString(); });
  child.stderr!.on('data', (c: Buffer) => { err += c.toString(); });
  const served: Served = { child, out: () => out, err: () => err, exited: new Promise((r) => child.once('exit', r)) };
  await until('serve.js is READY', () => out.includes('READY') || child.exitCode !== null, ms).catch(() => undefined);
  if (!out.includes('READY')) {
    child.kill('SIGKILL');
    throw new Error(`serve.js ${args.join(' ')} did not get ready: ${err}`);
  }
  return served;
}
