// Distributed commands (SAFEKIT-BEHAVIOUR §8.2, §8.5): `tandem -H "*"|"n1,n2" COMMAND…` runs a
// command on each target over its mutual-TLS node door and prints the output grouped per node;
// `-H … -G` pushes this node's cluster configuration and keys and makes every daemon reload it;
// `-H … -E AM` packages the local module and installs it on the targets with the same id,
// configured there when it is configured here.

import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { commandAddress, parseClusterXml } from '../config/cluster.js';
import type { ClusterConfig } from '../shared/config.js';
import { paths } from '../daemon/paths.js';
import { nodeCredentials, previousCredentials } from '../daemon/pki.js';
import { callNode, type NodeTarget as Target } from '../daemon/node-door.js';
import type { CommandRun } from '../api/admin-routes.js';
import { ModuleCatalog } from '../catalog/catalog.js';
import { clusterZip } from './cluster-config.js';
import { tryDaemon } from './client.js';
import { EXIT, fail, type Output } from './output.js';
import { localNode, openNodeStore, recorded } from './record.js';

/**
 * Splits `-H hosts` out of the arguments; null when the command is local. Like SafeKit's, -H is a
 * global option: it counts only before the command word (`tandem lab tandem n1 -H …` is local).
 */
export function distributedArgs(argv: readonly string[]): { hosts: string; rest: string[] } | null {
  for (let i = 0; i < argv.length && argv[i].startsWith('-'); i++) {
    if (argv[i] === '-H') return { hosts: argv[i + 1] ?? '', rest: [...argv.slice(0, i), ...argv.slice(i + 2)] };
    if (argv[i] === '--root') i++; // its value
  }
  return null;
}

function localCluster(root: string | undefined, out: Output): ClusterConfig {
  const file = join(paths(root).etc, 'cluster.xml');
  if (!existsSync(file)) fail(out, EXIT.failed, 'this node has no cluster configuration, so -H has no nodes to reach', 'apply one first: tandem cluster config cluster.xml');
  const cluster = parseClusterXml(readFileSync(file, 'utf8'), file).config;
  if (!cluster) fail(out, EXIT.failed, `${file} is invalid`, 'tandem cluster confcheck it');
  return cluster;
}

export function resolveTargets(hosts: string, cluster: ClusterConfig, out: Output): Target[] {
  if (hosts.includes('[') || hosts.includes('https:')) fail(out, EXIT.invalid, `-H "${hosts}": reaching nodes through their web service ([https:port]) comes with the web console`, 'name cluster nodes: -H "*" or -H "n1,n2"');
  const names = hosts === '*' ? [...cluster.nodeNames] : hosts.split(',').map((h) => h.trim()).filter(Boolean);
  if (names.length === 0) fail(out, EXIT.invalid, '-H needs "*" or a comma-separated list of nodes', 'tandem -H "*" state');
  return names.map((h) => {
    const node = cluster.nodeNames.includes(h) ? h : cluster.nodeNames.find((n) => cluster.lans.some((l) => l.nodes.some((x) => x.name === n && x.addr === h)));
    if (!node) fail(out, EXIT.invalid, `-H: "${h}" is not a node of cluster.xml (nodes: ${cluster.nodeNames.join(', ')})`);
    return { node, addr: commandAddress(cluster, node)!, port: Number(process.env.TANDEM_NODE_PORT ?? cluster.port) };
  });
}

/** Calls with the current credentials, then with those a new CA replaced (the others may still trust only them). */
async function callTrusted<T>(t: Target, root: string | undefined, node: string, path: string, body: unknown): Promise<T> {
  const etc = paths(root).etc;
  try {
    return await callNode<T>(t, nodeCredentials(etc, node), path, body);
  } catch (e) {
    const previous = previousCredentials(etc);
    if (!previous || !/certificate|alert|handshake|self.signed|unknown ca/i.test((e as Error).message)) throw e;
    return callNode<T>(t, previous, path, body);
  }
}

function explain(e: Error, t: Target): string {
  const m = e.message;
  if (/ECONNREFUSED/.test(m)) return `tandemd is not running on ${t.node} (${t.addr}:${t.port} refused the connection)`;
  if (/certificate|alert|handshake|unknown ca/i.test(m)) return `${t.node} does not trust this node's certificate (another cluster CA?): ${m}; apply the same cluster zip there ("tandem cluster package" here, "tandem cluster config FILE.zip" there)`;
  return `${t.node} (${t.addr}:${t.port}): ${m}`;
}

function printGrouped(out: Output, results: { node: string; run?: CommandRun; error?: string }[]): number {
  if (out.json) {
    const doc = results.map((r) => {
      let result: unknown;
      try { result = r.run ? JSON.parse(r.run.stdout) : undefined; } catch { result = undefined; }
      return { node: r.node, code: r.run?.code ?? null, result, stdout: result === undefined ? r.run?.stdout : undefined, stderr: r.run?.stderr || undefined, error: r.error };
    });
    process.stdout.write(`${JSON.stringify(doc, null, 2)}\n`);
  } else {
    for (const r of results) {
      process.stdout.write(`${'-'.repeat(20)} ${r.node} ${'-'.repeat(20)}\n`);
      if (r.error) process.stdout.write(`tandem: ${r.error}\n`);
      else process.stdout.write(`${r.run!.stdout}${r.run!.stderr}`);
    }
  }
  return results.every((r) => r.run?.code === 0) ? EXIT.ok : EXIT.failed;
}

async function onEach(targets: readonly Target[], fn: (t: Target) => Promise<CommandRun>): Promise<{ node: string; run?: CommandRun; error?: string }[]> {
  return Promise.all(targets.map(async (t) => {
    try { return { node: t.node, run: await fn(t) }; } catch (e) { return { node: t.node, error: explain(e as Error, t) }; }
  }));
}

export async function runDistributed(hosts: string, rest: string[], root: string | undefined): Promise<number> {
  const out: Output = { json: rest.includes('--json') };
  const cluster = localCluster(root, out);
  const targets = resolveTargets(hosts, cluster, out);
  const node = localNode(root);
  if (rest.includes('-G')) {
    // push to the others first: applying on this node last keeps its old credentials usable meanwhile
    const zip = clusterZip(root).toString('base64');
    const ordered = [...targets.filter((t) => t.node !== node), ...targets.filter((t) => t.node === node)];
    const results: { node: string; run?: CommandRun; error?: string }[] = [];
    for (const t of ordered) {
      try { results.push({ node: t.node, run: await callTrusted<CommandRun>(t, root, node, '/api/v1/cluster/apply', { zip }) }); } catch (e) { results.push({ node: t.node, error: explain(e as Error, t) }); }
    }
    return recorded(root, '', ['-H', hosts, '-G'], () => printGrouped(out, results));
  }
  const e = rest.indexOf('-E');
  if (e >= 0) {
    const module = rest[e + 1];
    if (!module) fail(out, EXIT.invalid, '-E needs a module name', 'tandem -H "n1,n2" -E mirror');
    const store = openNodeStore(root);
    let safe: string;
    let id: number;
    let configure: boolean;
    let nodes: string[];
    try {
      const catalog = new ModuleCatalog(paths(root), store, node);
      id = catalog.idOf(module);
      nodes = [...new Set([node, ...targets.map((t) => t.node)])];
      catalog.setNodes(module, nodes);
      safe = catalog.package(module).toString('base64');
      configure = catalog.list().some((m) => m.name === module && m.configured);
    } catch (err) {
      fail(out, EXIT.failed, (err as Error).message);
    } finally {
      store.close();
    }
    const results = await onEach(targets.filter((t) => t.node !== node), (t) => callTrusted<CommandRun>(t, root, node, '/api/v1/modules/install', { module, id, safe, configure, nodes }));
    await tryDaemon(root, 'POST', `/api/v1/modules/${encodeURIComponent(module)}/reload`); // the local process learns its nodes
    return recorded(root, module, ['-H', hosts, '-E', module], () => printGrouped(out, results));
  }
  if (rest.length === 0) fail(out, EXIT.invalid, '-H needs a command to run', 'tandem -H "*" state');
  const results = await onEach(targets, (t) => callTrusted<CommandRun>(t, root, node, '/api/v1/run', { argv: rest }));
  return printGrouped(out, results);
}
