// Cross-field validation of a module configuration, and checks against cluster.xml when given.
// Pure: the host running the check never changes the answer.

import type { ClusterConfig, ModuleConfig } from '../shared/config.js';
import type { RuleExpr } from '../shared/rules.js';
import type { ProblemList } from './problems.js';
import type { XmlElement } from './xml.js';
import type { ModuleCheckOptions } from './userconfig.js';
import { ipv4ToInt, isIpv4, netmaskPrefix } from './net.js';

const KNOWN_CLASSES = new Set(['ping', 'intf', 'tcp', 'custom', 'module', 'heartbeat', 'rfs', 'ip', 'splitbrain', 'proc', 'state', 'usersetting', 'heart', 'connections', 'remote', 'local']);

export function validateModule(config: ModuleConfig, service: XmlElement, problems: ProblemList, options: ModuleCheckOptions): void {
  const at = service.pos;
  if (config.heart?.heartbeats.some((h) => h.ident === 'flow') && !config.rfs) {
    problems.error(at, 'a heartbeat has ident="flow" but the module has no <rfs>', 'ident "flow" is reserved for the replication network: remove it or add <rfs>');
  }
  const dirs = config.rfs?.replicated.map((r) => r.dir) ?? [];
  dirs.forEach((d, i) => dirs.forEach((e, j) => {
    if (i < j && d === e) problems.error(at, `replicated dir ${d} is listed twice`, 'keep one <replicated> per directory');
    else if (i !== j && e.startsWith(`${d}/`)) problems.error(at, `replicated dir ${e} is nested in replicated dir ${d}`, `remove ${e}: it is already replicated as part of ${d}`);
  }));
  if (config.maxloop === 0 && config.loopIntervalMs > 0) problems.warning(at, 'maxloop="0" stops the module at the first automatic recovery', 'use maxloop="3" (the default) or loop_interval="0" to disable the counter');
  for (const rule of config.failoverRules.rules) {
    if (rule.origin !== 'user') continue;
    visit(rule.when, (r) => {
      if (r.scope === 'remote' && config.mode !== 'mirror') problems.error(at, `rule ${rule.name} reads remote.${r.cls}.${r.id}, but ${config.mode} modules only see local resources`, 'remove the remote. resource from the rule');
      if (!KNOWN_CLASSES.has(r.cls)) problems.warning(at, `rule ${rule.name} reads ${r.cls}.${r.id}, a resource class tandem does not set`, 'check the spelling; known classes: ' + [...KNOWN_CLASSES].join(', '));
    });
    if (rule.then.kind === 'action' && rule.then.action === 'swap' && config.mode !== 'mirror') problems.error(at, `rule ${rule.name} swaps, which needs a mirror module`);
  }
  const cluster = options.cluster;
  const nodes = moduleNodes(config, cluster, problems, at, options.installedOn);
  (config as { nodes: readonly string[] }).nodes = nodes;
  if (config.mode === 'mirror' && !['alone', 'lastprim'].includes(config.defaultprim)) {
    const name = config.defaultprim.replace(/^hostname\s+/, '');
    (config as { defaultprim: string }).defaultprim = name;
    if (cluster && !nodes.includes(name)) problems.error(at, `defaultprim="${config.defaultprim}" names no node of this module`, `use alone, lastprim or one of: ${nodes.join(', ')}`);
  }
  for (const g of config.vip?.groups ?? []) {
    for (const h of g.hosts) {
      if (cluster && !nodes.includes(h.name)) problems.error(at, `load-balancing group ${g.name} names host ${h.name}, which is not a node of this farm`, `use one of: ${nodes.join(', ')}`);
    }
  }
  if (cluster) checkVipSubnets(config, cluster, nodes, problems, at);
}

function moduleNodes(config: ModuleConfig, cluster: ClusterConfig | undefined, problems: ProblemList, at: { line: number; col: number }, installedOn?: readonly string[]): string[] {
  if (!cluster) return [...(installedOn ?? [])];
  const lanNames = config.heart?.heartbeats.map((h) => h.lan) ?? config.farm?.lans ?? [];
  let candidates = [...cluster.nodeNames];
  for (const lanName of lanNames) {
    const lan = cluster.lans.find((l) => l.name === lanName);
    if (!lan) {
      if (!/^legacy\d+$/.test(lanName)) problems.error(at, `lan "${lanName}" is not defined in cluster.xml`, `use one of: ${cluster.lans.map((l) => l.name).join(', ')}`);
      continue;
    }
    candidates = candidates.filter((n) => lan.nodes.some((x) => x.name === n));
  }
  if (config.rfs?.flowLan && !cluster.lans.some((l) => l.name === config.rfs!.flowLan) && !/^legacy\d+$/.test(config.rfs.flowLan)) {
    problems.error(at, `replication flow lan "${config.rfs.flowLan}" is not defined in cluster.xml`);
  }
  const nodes = installedOn ? [...installedOn] : candidates;
  for (const n of installedOn ?? []) {
    if (!cluster.nodeNames.includes(n)) problems.error(at, `the module is installed on ${n}, which is not a cluster node`, `cluster nodes: ${cluster.nodeNames.join(', ')}`);
    else if (!candidates.includes(n)) problems.error(at, `node ${n} is not on every lan the module uses (${lanNames.join(', ')})`, 'add the node to those lans in cluster.xml');
  }
  if (config.mode === 'mirror') {
    if (installedOn && nodes.length !== 2) problems.error(at, `a mirror module runs on exactly 2 nodes; it is installed on ${nodes.length}`, 'install the module on two nodes');
    else if (!installedOn && candidates.length < 2) problems.error(at, `a mirror module needs 2 nodes on its heartbeat lans; found ${candidates.length}`, 'list both nodes on the heartbeat lans in cluster.xml');
  } else if (nodes.length < 1) problems.error(at, `a ${config.mode} module needs at least one node on its lans`);
  return nodes;
}

function checkVipSubnets(config: ModuleConfig, cluster: ClusterConfig, nodes: readonly string[], problems: ProblemList, at: { line: number; col: number }): void {
  for (const iface of config.vip?.interfaces ?? []) {
    for (const va of iface.addrs) {
      if (!isIpv4(va.addr)) continue;
      for (const lan of cluster.lans) for (const n of lan.nodes) {
        if (n.addr === va.addr) problems.error(at, `virtual address ${va.addr} is the address of node ${n.name} on lan ${lan.name}`, 'a VIP must be an address no server owns');
      }
      const prefix = va.netmask ? netmaskPrefix(va.netmask) : null;
      if (prefix === null) continue;
      const mask = prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
      const net = (ipv4ToInt(va.addr) & mask) >>> 0;
      const sameSubnet = cluster.lans.some((lan) => nodes.every((name) => {
        const node = lan.nodes.find((x) => x.name === name);
        return !!node && isIpv4(node.addr) && ((ipv4ToInt(node.addr) & mask) >>> 0) === net;
      }));
      if (!sameSubnet) problems.warning(at, `virtual address ${va.addr}/${prefix} is not in the subnet of the module's nodes on any cluster lan`, 'a VIP must be on the nodes\' L2 segment; check the address and netmask');
    }
  }
}

function visit(e: RuleExpr, f: (r: Extract<RuleExpr, { kind: 'resource' }>) => void): void {
  switch (e.kind) {
    case 'resource': f(e); break;
    case 'not': visit(e.expr, f); break;
    case 'and': case 'or': case 'eq': case 'ne': visit(e.left, f); visit(e.right, f); break;
    default: break;
  }
}
