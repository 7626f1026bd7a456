// A lab of network namespaces for the demo and the system tests (RECIPES §2, DESIGN §9): a bridge
// in its own namespace, nodes n1…nN each with one network namespace and one persistent mount
// namespace, and every process of a node entered into both with nsenter (`ip netns exec` alone
// would give each process a fresh mount namespace). Nothing is added to the host's own network
// namespace; teardown removes everything, even after a failure. A lab's description is kept in
// /run/tandem-lab-TAG/lab.json so that `tandem lab status|down|exec` find it again.

import { spawn, spawnSync, type ChildProcess, type SpawnSyncReturns } from 'node:child_process';
import { existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

// nsenter --mount starts in the namespace's root directory: every path handed to a node is absolute
const CLI = fileURLToPath(new URL('../cli/main.js', import.meta.url));
const DAEMON = fileURLToPath(new URL('../daemon/tandemd.js', import.meta.url));

/** Where a lab named `tag` keeps its persistent mount namespaces and its description. */
export const labRunDir = (tag: string): string => join('/run', `tandem-lab-${tag}`);

/** Why system tests cannot run here, or false when they can. */
export function labUnavailable(): string | false {
  if (process.getuid?.() !== 0) return 'needs root (network and mount namespaces); CI runs it as root';
  for (const [cmd, arg] of [['ip', '-V'], ['nsenter', '--version'], ['unshare', '--version']]) {
    if (spawnSync(cmd, [arg]).error) return `needs ${cmd} (iproute2 / util-linux)`;
  }
  const probe = `tdprobe${process.pid}`;
  const r = spawnSync('ip', ['netns', 'add', probe], { encoding: 'utf8' });
  if (r.status !== 0) return `cannot create network namespaces here: ${r.stderr.trim()}`;
  spawnSync('ip', ['netns', 'del', probe]);
  return false;
}

function sh(cmd: string, args: readonly string[]): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')}: ${r.stderr.trim() || `exit ${r.status}`}`);
  return r.stdout;
}

export interface LabNode {
  readonly name: string;
  readonly addr: string;
  readonly netns: string;
  readonly mountns: string;
  /** The node's file-system root for tandem (--root). */
  readonly root: string;
}

interface LabDescription { readonly tag: string; readonly dir: string; readonly subnet: string; readonly nodes: readonly LabNode[] }

export class Lab {
  readonly nodes: LabNode[] = [];
  private readonly bridge: string;
  private readonly mountDir: string;
  private readonly children: ChildProcess[] = [];

  /** The lab `tag` made earlier (by `tandem lab up`), or null. */
  static find(tag: string): Lab | null {
    const file = join(labRunDir(tag), 'lab.json');
    if (!existsSync(file)) return null;
    const d = JSON.parse(readFileSync(file, 'utf8')) as LabDescription;
    return new Lab(d.dir, 0, d.subnet, d.tag, d.nodes);
  }

  constructor(readonly dir: string, count: number, readonly subnet = '10.78.0', readonly tag = `td${process.pid % 100000}`, existing?: readonly LabNode[]) {
    this.bridge = `${tag}br`;
    this.mountDir = labRunDir(tag);
    if (existing) { this.nodes.push(...existing); return; }
    try {
      mkdirSync(this.mountDir, { recursive: true });
      // a private mount point to hold the persistent mount namespaces (unshare --mount=FILE needs it)
      sh('mount', ['--bind', this.mountDir, this.mountDir]);
      sh('mount', ['--make-private', this.mountDir]);
      sh('ip', ['netns', 'add', this.bridge]);
      sh('ip', ['-n', this.bridge, 'link', 'add', 'br0', 'type', 'bridge']);
      sh('ip', ['-n', this.bridge, 'link', 'set', 'br0', 'up']);
      for (let i = 1; i <= count; i++) {
        const node: LabNode = { name: `n${i}`, addr: `${subnet}.${i}`, netns: `${tag}n${i}`, mountns: join(this.mountDir, `n${i}.mnt`), root: join(dir, `n${i}`) };
        sh('ip', ['netns', 'add', node.netns]);
        sh('ip', ['-n', this.bridge, 'link', 'add', `veth${i}`, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', node.netns]);
        sh('ip', ['-n', this.bridge, 'link', 'set', `veth${i}`, 'master', 'br0']);
        sh('ip', ['-n', this.bridge, 'link', 'set', `veth${i}`, 'up']);
        sh('ip', ['-n', node.netns, 'link', 'set', 'lo', 'up']);
        sh('ip', ['-n', node.netns, 'addr', 'add', `${node.addr}/24`, 'dev', 'eth0']);
        sh('ip', ['-n', node.netns, 'link', 'set', 'eth0', 'up']);
        writeFileSync(node.mountns, '');
        sh('unshare', [`--mount=${node.mountns}`, '--propagation', 'private', 'true']);
        mkdirSync(node.root, { recursive: true });
        this.nodes.push(node);
      }
      const description: LabDescription = { tag, dir, subnet, nodes: this.nodes };
      writeFileSync(join(this.mountDir, 'lab.json'), `${JSON.stringify(description, null, 2)}\n`);
    } catch (e) {
      this.teardown();
      throw e;
    }
  }

  node(name: string): LabNode {
    const n = this.nodes.find((x) => x.name === name);
    if (!n) throw new Error(`no lab node ${name}`);
    return n;
  }

  private enter(n: LabNode, argv: readonly string[]): string[] {
    return [`--net=/var/run/netns/${n.netns}`, `--mount=${n.mountns}`, '--', ...argv];
  }

  /** Runs `tandem ARGS` on a node and waits for it. */
  tandem(name: string, ...args: string[]): SpawnSyncReturns<string> {
    const n = this.node(name);
    return spawnSync('nsenter', this.enter(n, [process.execPath, CLI, '--root', n.root, ...args]), { encoding: 'utf8', env: { ...process.env, TANDEM_ROOT: '', TANDEM_NODE: n.name } });
  }

  /** Runs a command on a node and waits for it. */
  run(name: string, argv: readonly string[], timeoutMs = 30_000): SpawnSyncReturns<string> {
    return spawnSync('nsenter', this.enter(this.node(name), argv), { encoding: 'utf8', timeout: timeoutMs });
  }

  /** Gives a node its own directory at `path` (a bind mount of `source` in its mount namespace):
   * the same absolute path holds different files on each node, as on separate machines. */
  bindDir(name: string, source: string, path: string): void {
    mkdirSync(source, { recursive: true });
    mkdirSync(path, { recursive: true });
    const r = this.run(name, ['mount', '--bind', source, path]);
    if (r.status !== 0) throw new Error(`bind mount of ${source} on ${path} in ${name} failed: ${r.stderr}`);
  }

  /** Cuts a node off the bridge (its link goes down on the bridge side), or puts it back: a network partition. */
  link(name: string, up: boolean): void {
    const index = this.nodes.findIndex((n) => n.name === name) + 1;
    sh('ip', ['-n', this.bridge, 'link', 'set', `veth${index}`, up ? 'up' : 'down']);
  }

  /** kill -9 of every process of a node: a node crash, as far as the others can tell. */
  crash(name: string): number {
    const pids = spawnSync('ip', ['netns', 'pids', this.node(name).netns], { encoding: 'utf8' }).stdout.split('\n').filter(Boolean).map(Number);
    for (const pid of pids) { try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ } }
    return pids.length;
  }

  /** Starts a long-running process on a node (killed at teardown). */
  start(name: string, argv: readonly string[], env: NodeJS.ProcessEnv = {}): ChildProcess {
    const child = spawn('nsenter', this.enter(this.node(name), argv), { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, TANDEM_ROOT: '', ...env } });
    this.children.push(child);
    return child;
  }

  startDaemon(name: string, env: NodeJS.ProcessEnv = {}): ChildProcess {
    const n = this.node(name);
    return this.start(name, [process.execPath, DAEMON, '--root', n.root, '--node', n.name], env);
  }

  /** Starts tandemd on a node, detached from this process (it outlives `tandem lab daemon`), logging to ROOT/var/log/tandem/tandemd.log. */
  startDetachedDaemon(name: string, env: NodeJS.ProcessEnv = {}): number {
    const n = this.node(name);
    const logDir = join(n.root, 'var/log/tandem');
    mkdirSync(logDir, { recursive: true });
    const log = openSync(join(logDir, 'tandemd.log'), 'a');
    const child = spawn('nsenter', this.enter(n, [process.execPath, DAEMON, '--root', n.root, '--node', n.name]), { stdio: ['ignore', log, log], detached: true, env: { ...process.env, TANDEM_ROOT: '', ...env } });
    child.unref();
    return child.pid ?? 0;
  }

  /** Every process of each node (`ip netns pids`). */
  processes(): Record<string, number> {
    return Object.fromEntries(this.nodes.map((n) => [n.name, spawnSync('ip', ['netns', 'pids', n.netns], { encoding: 'utf8' }).stdout.split('\n').filter(Boolean).length]));
  }

  teardown(): void {
    for (const c of this.children) c.kill('SIGKILL');
    // processes entered into a namespace outlive nsenter's own kill: kill by namespace too
    for (const n of this.nodes) this.crash(n.name);
    for (const n of this.nodes) {
      spawnSync('umount', ['-l', n.mountns]);
      spawnSync('ip', ['netns', 'del', n.netns]);
    }
    spawnSync('ip', ['netns', 'del', this.bridge]);
    spawnSync('umount', ['-l', this.mountDir]);
    rmSync(this.mountDir, { recursive: true, force: true });
    rmSync(this.dir, { recursive: true, force: true });
  }
}
