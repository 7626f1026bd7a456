// <heart>/<heartbeat> (mirror) and <farm>/<lan> (farm), with the legacy <heartbeat><server> form.

import type { FarmConfig, HeartbeatConfig } from '../shared/config.js';
import { Attrs, checkChildren, childrenNamed, int, oneOf, required, str, time, type Schema } from './attrs.js';
import type { ProblemList } from './problems.js';
import type { XmlElement } from './xml.js';
import type { TimingProfile } from './timing.js';

const HEART: Schema = { port: int(1, 65535), pulse: time('ms'), timeout: time('ms'), permanent_arp: oneOf('on', 'off') };
const HEARTBEAT: Schema = { name: str, ident: str, pulse: time('ms'), timeout: time('ms') };
const FARM: Schema = { port: int(1, 65535), pulse: time('ms'), mlost_count: int(1, 10_000), slost_count: int(1, 10_000) };

export interface HeartSection {
  readonly port: number;
  readonly permanentArp: boolean;
  readonly heartbeats: HeartbeatConfig[];
}

export function readHeart(el: XmlElement | undefined, service: XmlElement, id: number, profile: TimingProfile, problems: ProblemList): HeartSection {
  const port = 8888 + id - 1;
  if (!el) {
    problems.error(service.pos, 'a mirror module needs <heart> with at least one <heartbeat>', 'add <heart><heartbeat name="default"/></heart>');
    return { port, permanentArp: true, heartbeats: [] };
  }
  const a = new Attrs(el, HEART, problems);
  checkChildren(el, ['heartbeat'], problems);
  const pulse = a.num('pulse', profile.pulseMs);
  const timeout = a.num('timeout', profile.timeoutMs);
  const heartbeats: HeartbeatConfig[] = [];
  for (const hb of childrenNamed(el, 'heartbeat')) {
    const h = new Attrs(hb, HEARTBEAT, problems);
    checkChildren(hb, ['server'], problems);
    const servers = childrenNamed(hb, 'server');
    let lan = h.str('name');
    if (servers.length > 0) {
      problems.warning(servers[0].pos, 'the legacy <heartbeat><server addr/> form is read for compatibility', 'since 7.2 write <heartbeat name="<cluster lan>"/> and put addresses in cluster.xml');
      for (const s of servers) new Attrs(s, { addr: required(str) }, problems);
      if (lan === undefined) lan = h.str('ident') ?? `legacy${heartbeats.length}`;
    }
    if (lan === undefined) {
      problems.error(hb.pos, '<heartbeat> needs the attribute name (a cluster lan)', 'write <heartbeat name="default"/>');
      continue;
    }
    const ident = h.str('ident', lan);
    if (heartbeats.some((x) => x.ident === ident)) problems.error(hb.pos, `two heartbeats have the ident "${ident}"`, 'give each heartbeat its own ident');
    heartbeats.push({ lan, ident, pulseMs: h.num('pulse', pulse), timeoutMs: h.num('timeout', timeout) });
  }
  if (heartbeats.length === 0) problems.error(el.pos, '<heart> has no <heartbeat>', 'add <heartbeat name="default"/> naming a cluster lan');
  for (const hb of heartbeats) {
    if (hb.timeoutMs <= hb.pulseMs * 2) problems.error(el.pos, `heartbeat ${hb.ident}: timeout ${hb.timeoutMs} ms is not more than twice the pulse ${hb.pulseMs} ms`, 'a heartbeat must be able to miss a packet; raise timeout or lower pulse');
  }
  return { port: a.num('port', port), permanentArp: a.str('permanent_arp', 'on') === 'on', heartbeats };
}

export function readFarm(el: XmlElement, id: number, problems: ProblemList): FarmConfig {
  const a = new Attrs(el, FARM, problems);
  checkChildren(el, ['lan'], problems);
  const lans: string[] = [];
  for (const lanEl of childrenNamed(el, 'lan')) {
    const l = new Attrs(lanEl, { name: required(str) }, problems);
    checkChildren(lanEl, ['node'], problems);
    const nodes = childrenNamed(lanEl, 'node');
    if (nodes.length > 0) {
      problems.warning(nodes[0].pos, 'the legacy <farm><lan><node/> form is read for compatibility', 'list nodes in cluster.xml and write <lan name="<cluster lan>"/>');
      for (const n of nodes) new Attrs(n, { name: str, addr: str }, problems);
    }
    const name = l.str('name');
    if (name === undefined) continue;
    if (lans.includes(name)) problems.error(l.pos('name'), `lan "${name}" is listed twice in <farm>`);
    lans.push(name);
  }
  if (lans.length === 0) problems.error(el.pos, '<farm> has no <lan>', 'add <lan name="default"/> naming a cluster lan');
  return {
    port: a.num('port', 4803 + (id - 1) * 3),
    pulseMs: a.num('pulse', 100),
    mlostCount: a.num('mlost_count', 20),
    slostCount: a.num('slost_count', 10),
    lans,
  };
}
