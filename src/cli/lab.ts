// tandem lab up | status | down | exec | tandem | daemon | crash: the network-namespace lab of the
// demo (src/lab/lab.ts). One lab, named "tandem", at a time; everything it makes, `lab down`
// removes. Needs root.

import { spawnSync } from 'node:child_process';
import { Lab, labUnavailable } from '../lab/lab.js';
import { EXIT, emit, fail, type Output } from './output.js';

const TAG = 'tandem';

function need(out: Output): Lab {
  const why = labUnavailable();
  if (why) fail(out, EXIT.failed, `the lab ${why}`);
  const lab = Lab.find(TAG);
  if (!lab) fail(out, EXIT.failed, 'no lab is up', 'make one: tandem lab up');
  return lab;
}

export function labUp(out: Output, o: { nodes?: string; subnet?: string; dir?: string }): number {
  const why = labUnavailable();
  if (why) fail(out, EXIT.failed, `the lab ${why}`);
  if (Lab.find(TAG)) fail(out, EXIT.failed, 'a lab is already up', 'see it with "tandem lab status", remove it with "tandem lab down"');
  const count = Number(o.nodes ?? 3);
  if (!Number.isInteger(count) || count < 2 || count > 9) fail(out, EXIT.invalid, `--nodes ${o.nodes}: a lab has 2 to 9 nodes`);
  const subnet = o.subnet ?? '10.77.0';
  if (!/^\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(subnet)) fail(out, EXIT.invalid, `--subnet ${subnet}: give the first three numbers of a /24, e.g. 10.77.0`);
  const lab = new Lab(o.dir ?? '/var/lib/tandem-lab', count, subnet, TAG);
  emit(out, { ok: true, nodes: lab.nodes }, () => [
    `lab up: ${lab.nodes.length} nodes on ${subnet}.0/24 (bridge namespace ${TAG}br)`,
    ...lab.nodes.map((n) => `  ${n.name}  ${n.addr.padEnd(12)} root ${n.root}`),
    'next: tandem lab daemon n1 · tandem lab tandem n1 state · tandem lab exec n1 -- ip addr · tandem lab down',
  ].join('\n'));
  return EXIT.ok;
}

export function labStatus(out: Output): number {
  const lab = need(out);
  const procs = lab.processes();
  emit(out, { nodes: lab.nodes.map((n) => ({ ...n, processes: procs[n.name] })) }, () =>
    lab.nodes.map((n) => `${n.name}  ${n.addr.padEnd(12)} ${procs[n.name]} process(es)  root ${n.root}`).join('\n'));
  return EXIT.ok;
}

export function labDown(out: Output): number {
  const lab = need(out);
  lab.teardown();
  emit(out, { ok: true }, () => 'lab down: every process, namespace and mount of the lab is gone');
  return EXIT.ok;
}

/** Runs a command inside a node, with this terminal. */
export function labExec(out: Output, node: string, argv: readonly string[]): number {
  const lab = need(out);
  const n = lab.nodes.find((x) => x.name === node);
  if (!n) fail(out, EXIT.invalid, `no lab node ${node}`, `nodes: ${lab.nodes.map((x) => x.name).join(', ')}`);
  if (argv.length === 0) fail(out, EXIT.invalid, 'lab exec needs a command', 'tandem lab exec n1 -- ip addr');
  const r = spawnSync('nsenter', [`--net=/var/run/netns/${n.netns}`, `--mount=${n.mountns}`, '--', ...argv], { stdio: 'inherit', env: { ...process.env, TANDEM_ROOT: n.root, TANDEM_NODE: n.name } });
  return r.status ?? EXIT.failed;
}

export function labTandem(out: Output, node: string, args: readonly string[]): number {
  return labExec(out, node, [process.execPath, new URL('./main.js', import.meta.url).pathname, '--root', need(out).node(node).root, ...args]);
}

export function labDaemon(out: Output, node: string): number {
  const lab = need(out);
  const pid = lab.startDetachedDaemon(node);
  emit(out, { ok: true, node, pid }, () => `tandemd started on ${node} (pid ${pid}); its log: ${lab.node(node).root}/var/log/tandem/tandemd.log`);
  return EXIT.ok;
}

export function labCrash(out: Output, node: string): number {
  const killed = need(out).crash(node);
  emit(out, { ok: true, node, killed }, () => `${node}: ${killed} process(es) killed with SIGKILL, as in a power failure`);
  return EXIT.ok;
}
