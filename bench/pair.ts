// What the benchmarks share: command-line options, waiting, and a running PRIM/SECOND pair of a
// mirror module named "app" on lab nodes n1 and n2 (cluster from n1's zip, module exported with -E).

import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeZip, type ZipEntry } from '../src/catalog/zip.js';
import type { Lab } from '../src/lab/lab.js';

export const arg = (name: string, dflt: string): string => { const i = process.argv.indexOf(name); return i >= 0 ? process.argv[i + 1] : dflt; };
export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export async function until(what: string, check: () => boolean, ms: number, everyMs = 100): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) { if (Date.now() > end) throw new Error(`timed out: ${what}`); await sleep(everyMs); }
}

/** The state of module app on a node, as `state -lq` prints it. */
export const appState = (lab: Lab, node: string): string => lab.tandem(node, 'state', '-m', 'app', '-lq').stdout.trim();

/** Configures the cluster n1+n2 on `subnet`, installs module app with `files` on both, and starts both daemons. */
export async function installPair(lab: Lab, dir: string, subnet: string, files: readonly ZipEntry[]): Promise<void> {
  writeFileSync(join(dir, 'cluster.xml'), `<cluster><lans><lan name="default"><node name="n1" addr="${subnet}.1"/><node name="n2" addr="${subnet}.2"/></lan></lans></cluster>`);
  lab.tandem('n1', 'cluster', 'config', join(dir, 'cluster.xml'));
  lab.tandem('n1', 'cluster', 'package', join(dir, 'cluster.zip'));
  lab.tandem('n2', 'cluster', 'config', join(dir, 'cluster.zip'));
  writeFileSync(join(dir, 'app.safe'), writeZip(files));
  lab.tandem('n1', 'module', 'install', '-m', 'app', join(dir, 'app.safe'));
  lab.tandem('n1', 'config', '-m', 'app');
  for (const n of ['n1', 'n2']) lab.startDetachedDaemon(n);
  await until('both daemons', () => lab.tandem('n1', 'state').status === 0 && lab.tandem('n2', 'state').status === 0, 30_000);
  if (lab.tandem('n1', '-H', 'n2', '-E', 'app').status !== 0) throw new Error('-E failed');
  await until('n2 module', () => lab.tandem('n2', 'state', '-m', 'app').status === 0, 30_000);
}

/** installPair, then n1 PRIM / n2 SECOND. */
export async function startMirrorPair(lab: Lab, dir: string, subnet: string, files: readonly ZipEntry[]): Promise<void> {
  await installPair(lab, dir, subnet, files);
  lab.tandem('n1', 'start', '-m', 'app');
  await until('n1 alone', () => appState(lab, 'n1') === 'ALONE', 60_000);
  lab.tandem('n2', 'start', '-m', 'app');
  await until('pair', () => appState(lab, 'n1') === 'PRIM' && appState(lab, 'n2') === 'SECOND', 60_000);
}
