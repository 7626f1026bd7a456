// From a validated module configuration and the applied cluster to the settings the core machines
// read: which peer (mirror), which nodes (farm), timings, rules, maxloop, checker resources.

import type { ClusterConfig, ModuleConfig } from '../shared/config.js';
import type { FarmSettings } from '../core/farm/types.js';
import type { MirrorSettings } from '../core/mirror/types.js';

function lanNodes(cluster: ClusterConfig, lans: readonly string[]): string[] {
  const names = new Set<string>();
  for (const lan of cluster.lans) if (lans.includes(lan.name)) lan.nodes.forEach((n) => names.add(n.name));
  return [...names];
}

const checkerResources = (c: ModuleConfig) => c.checkers.map((k) => ({ resource: k.resource, when: k.when }));

export function mirrorSettings(c: ModuleConfig, node: string, cluster: ClusterConfig): MirrorSettings {
  const heartbeats = c.heart?.heartbeats ?? [];
  // the nodes it is installed on (recorded by -E), else every node of its heartbeat networks
  const nodes = c.nodes.length ? c.nodes : lanNodes(cluster, heartbeats.map((h) => h.lan));
  const peers = nodes.filter((n) => n !== node);
  if (peers.length !== 1) throw new Error(`a mirror module runs on exactly two nodes, and this one could be on ${nodes.join(', ')}: install it on its two nodes with "tandem -H <peer> -E ${c.name}" (which records them), or use heartbeat lans with two nodes`);
  return {
    node, peer: peers[0],
    heartbeats: heartbeats.map((h) => ({ ident: h.ident, pulseMs: h.pulseMs, timeoutMs: h.timeoutMs })),
    replicated: !!c.rfs, defaultprim: c.defaultprim, maxloop: c.maxloop, loopIntervalMs: c.loopIntervalMs,
    rules: c.failoverRules.rules, periodMs: c.failoverRules.periodMs, handleTimeMs: c.failoverRules.handleTimeMs,
    splitbrain: c.checkers.some((k) => k.type === 'splitbrain'),
    checkerResources: checkerResources(c),
  };
}

export function farmSettings(c: ModuleConfig, node: string, cluster: ClusterConfig): FarmSettings {
  const nodes = c.mode === 'light' || !c.farm ? [node] : lanNodes(cluster, c.farm.lans);
  return {
    node, nodes,
    groups: (c.vip?.groups ?? []).map((g) => ({ name: g.name, hosts: g.hosts.length ? g.hosts.map((h) => ({ name: h.name, power: h.power })) : nodes.map((name) => ({ name, power: 1 })) })),
    pulseMs: c.farm?.pulseMs ?? 700, lostCount: c.farm?.slostCount ?? 3,
    rules: c.failoverRules.rules, periodMs: c.failoverRules.periodMs, handleTimeMs: c.failoverRules.handleTimeMs,
    maxloop: c.maxloop, loopIntervalMs: c.loopIntervalMs, checkerResources: checkerResources(c),
  };
}
