// The <module> checker (SAFEKIT-BEHAVIOUR §5.11, §12 checkers 6): another module's state, read
// through the node API of the node that runs it. Up when that module runs the application: ALONE or
// PRIM for a mirror, UP for a farm. `started` identifies the current run of its application (the
// module process and its count of application starts): when it changes while the module stays up,
// the module was restarted, and the watching module stop-starts ("Action stopstart called by
// modulecheck").
//
// Where: <to addr> 127.0.0.1 (the default), localhost or ::1 is this node, over tandemd's unix
// socket; another address must be a node of cluster.xml, reached over its mutual-TLS node door on
// the cluster port. SafeKit's <to port> (its web service, 9010/9453) is read and not used: the node
// door is the one way in.

import type { ClusterConfig } from '../shared/config.js';
import type { Checker } from '../shared/config.js';
import type { RuntimeReply } from '../module/runtime.js';
import { askDaemon } from '../daemon/local-client.js';
import { callNode } from '../daemon/node-door.js';
import { nodeCredentials } from '../daemon/pki.js';
import { paths } from '../daemon/paths.js';

export interface ModuleProbe {
  readonly verdict: 'up' | 'down';
  /** The run of the watched module's application, or null when it is not up. */
  readonly started: string | null;
  /** Why it is down, for the log. */
  readonly reason: string;
}

export interface ModuleCheckEnv {
  readonly root: string;
  readonly node: string;
  readonly cluster: ClusterConfig;
}

const LOCAL = new Set(['127.0.0.1', 'localhost', '::1']);
const RUNNING = new Set(['ALONE', 'PRIM', 'UP']);

/** The cluster node an address belongs to (any lan), or null. */
function nodeAt(cluster: ClusterConfig, addr: string): string | null {
  for (const lan of cluster.lans) for (const n of lan.nodes) if (n.addr === addr) return n.name;
  return null;
}

export async function probeModule(c: Checker, env: ModuleCheckEnv): Promise<ModuleProbe> {
  const { name, addr } = c.target;
  const path = `/api/v1/modules/${encodeURIComponent(name)}`;
  const owner = LOCAL.has(addr) ? env.node : nodeAt(env.cluster, addr);
  if (owner === null) return { verdict: 'down', started: null, reason: `${addr} is no node of cluster.xml` };
  let reply: RuntimeReply;
  if (owner === env.node) {
    const r = await askDaemon<RuntimeReply & { error?: string }>(env.root, 'GET', path, undefined, c.timeoutMs);
    if (r === null) return { verdict: 'down', started: null, reason: 'tandemd on this node does not answer' };
    if (r.status !== 200) return { verdict: 'down', started: null, reason: r.body.error ?? `HTTP ${r.status}` };
    reply = r.body;
  } else {
    try {
      const target = { node: owner, addr, port: Number(process.env.TANDEM_NODE_PORT ?? env.cluster.port) };
      reply = await callNode<RuntimeReply>(target, nodeCredentials(paths(env.root).etc, env.node), path, undefined, c.timeoutMs);
    } catch (e) {
      return { verdict: 'down', started: null, reason: `${owner} (${addr}): ${(e as Error).message}` };
    }
  }
  const s = reply.status;
  if (!RUNNING.has(s.state)) return { verdict: 'down', started: null, reason: `module ${name} is ${s.state} ${s.qualifier}` };
  return { verdict: 'up', started: `${s.incarnation}:${s.appStarts}`, reason: '' };
}
