// tandem cluster … commands that work today through the local daemon.

import { paths } from '../daemon/paths.js';
import { callDaemon } from './client.js';
import { writeClusterKey } from './cluster-config.js';
import { createClusterCa } from '../daemon/pki.js';
import { emit, type Output } from './output.js';

interface ClusterState {
  readonly node: string;
  readonly nodes: readonly { readonly name: string; readonly state: 'up' | 'down' | 'self' }[];
}

/** tandem cluster state: every cluster node as this node's membership sees it. */
export async function clusterState(out: Output, root?: string): Promise<void> {
  const { body: s } = await callDaemon<ClusterState>('cluster state', out, root, 'GET', '/api/v1/cluster/state');
  emit(out, s, () => [
    `Node         State   (seen from ${s.node})`,
    ...s.nodes.map((n) => `${n.name.padEnd(12)} ${n.state === 'self' ? 'up (this node)' : n.state}`),
  ].join('\n'));
}

/**
 * tandem cluster genkey: a new cluster key (32 random bytes) in /etc/tandem/cluster.key, mode 0600.
 * Every node needs the same key; nodes with different keys refuse each other's membership.
 */
export function clusterGenkey(out: Output, root?: string): void {
  const file = `${paths(root).etc}/cluster.key`;
  writeClusterKey(file);
  createClusterCa(paths(root).etc);
  emit(out, { ok: true, file }, () => `new cluster key and CA in ${paths(root).etc}\n  push them to every node with "tandem -H "*" -G"; nodes with another key are refused`);
}
