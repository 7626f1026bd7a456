// cluster.xml (SAFEKIT-BEHAVIOUR §4): the lans and the address of every node on each lan.

import type { ClusterConfig, ClusterLan, ClusterNode } from '../shared/config.js';
import { Attrs, checkChildren, childrenNamed, int, legacy, oneOf, required, str, time, type Schema } from './attrs.js';
import { ProblemList } from './problems.js';
import { parseXml } from './xml.js';
import { isAddress, unbracket } from './net.js';

const LANS: Schema = { port: int(1, 65535), pulse: time('ms'), mlost_count: int(1, 10_000), slost_count: int(1, 10_000) };
const LAN: Schema = {
  name: required(str), command: oneOf('on', 'off'),
  console: legacy(), framework: legacy(), connect: legacy(),
};
const NODE: Schema = { name: required(str), addr: required(str), laddr: str };

export interface ClusterResult {
  readonly config: ClusterConfig | null;
  readonly problems: ProblemList;
}

export function parseClusterXml(source: string, file: string): ClusterResult {
  const problems = new ProblemList(file);
  const root = parseXml(source, problems);
  if (!root) return { config: null, problems };
  if (root.name !== 'cluster') {
    problems.error(root.pos, `the root element is <${root.name}>, expected <cluster>`, 'a cluster configuration starts with <cluster>');
    return { config: null, problems };
  }
  new Attrs(root, {}, problems);
  checkChildren(root, ['lans'], problems);
  const lansEls = childrenNamed(root, 'lans');
  if (lansEls.length !== 1) {
    problems.error(lansEls[1]?.pos ?? root.pos, lansEls.length === 0 ? '<cluster> has no <lans>' : '<lans> appears more than once', 'write exactly one <lans> holding every <lan>');
    if (lansEls.length === 0) return { config: null, problems };
  }
  const lansEl = lansEls[0];
  const la = new Attrs(lansEl, LANS, problems);
  checkChildren(lansEl, ['lan'], problems);
  const lans: ClusterLan[] = [];
  for (const lanEl of childrenNamed(lansEl, 'lan')) {
    const a = new Attrs(lanEl, LAN, problems);
    checkChildren(lanEl, ['node'], problems);
    const name = a.str('name', '');
    if (name && lans.some((l) => l.name === name)) problems.error(a.pos('name'), `lan "${name}" is defined twice`, 'give each lan its own name');
    const nodes: ClusterNode[] = [];
    for (const nodeEl of childrenNamed(lanEl, 'node')) {
      const n = new Attrs(nodeEl, NODE, problems);
      const nodeName = n.str('name', '');
      const addr = n.str('addr', '');
      if (nodeName && !/^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/.test(nodeName)) {
        problems.error(n.pos('name'), `node name "${nodeName}" is not valid`, 'use letters, digits, ".", "_" and "-" (at most 63 characters), starting with a letter or digit');
      }
      if (addr && !isAddress(addr)) problems.error(n.pos('addr'), `addr="${addr}" is neither an IPv4 address, a bracketed IPv6 address nor a DNS name`, 'write for example addr="192.168.1.10" or addr="[2001:db8::10]"');
      if (addr && /[A-Z]/.test(addr) && !addr.startsWith('[')) problems.warning(n.pos('addr'), `DNS name "${addr}" has upper-case letters`, 'write DNS names in lower case');
      const laddr = n.str('laddr');
      if (laddr !== undefined && !isAddress(laddr)) problems.error(n.pos('laddr'), `laddr="${laddr}" is not an address`, 'write the local address used behind NAT');
      if (nodeName && nodes.some((x) => x.name === nodeName)) problems.error(n.pos('name'), `node "${nodeName}" appears twice in lan "${name}"`);
      if (addr && nodes.some((x) => x.addr === addr)) problems.error(n.pos('addr'), `address ${addr} is given to two nodes of lan "${name}"`);
      nodes.push({ name: nodeName, addr, ...(laddr ? { laddr } : {}) });
    }
    if (nodes.length < 2) problems.error(lanEl.pos, `lan "${name}" has ${nodes.length} node(s)`, 'a cluster lan lists at least 2 nodes');
    lans.push({ name, command: a.str('command') === 'on', nodes });
  }
  if (lans.length === 0) {
    problems.error(lansEl.pos, '<lans> holds no <lan>', 'add <lan name="default"> with one <node> per server');
    return { config: null, problems };
  }
  const nodeNames = [...new Set(lans.flatMap((l) => l.nodes.map((n) => n.name)))];
  if (!lans.some((l) => nodeNames.every((n) => l.nodes.some((x) => x.name === n)))) {
    problems.error(lansEl.pos, 'no lan lists every node of the cluster', `at least one lan must contain all of: ${nodeNames.join(', ')}`);
  }
  const commandLans = lans.filter((l) => l.command);
  if (commandLans.length > 1) problems.error(lansEl.pos, `${commandLans.length} lans have command="on"`, 'set command="on" on one lan only');
  for (const l of commandLans) {
    if (!nodeNames.every((n) => l.nodes.some((x) => x.name === n))) {
      problems.error(lansEl.pos, `lan "${l.name}" has command="on" but does not list every node`, 'the command lan must contain all nodes');
    }
  }
  const config: ClusterConfig = {
    port: la.num('port', 4800),
    pulseMs: la.num('pulse', 100),
    mlostCount: la.num('mlost_count', 20),
    slostCount: la.num('slost_count', 10),
    lans,
    nodeNames,
  };
  return { config: problems.hasErrors ? null : config, problems };
}

/** Where node `name` answers commands: its address on the command lan, else on the first lan that lists it. */
export function commandAddress(cluster: ClusterConfig, name: string): string | null {
  const lans = [...cluster.lans.filter((l) => l.command), ...cluster.lans.filter((l) => !l.command)];
  for (const lan of lans) {
    const n = lan.nodes.find((x) => x.name === name);
    if (n) return unbracket(n.addr);
  }
  return null;
}
