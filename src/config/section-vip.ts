// <vip>: interfaces with virtual addresses (mirror: <real_interface>, farm: <virtual_interface>)
// and the farm load-balancing groups.

import type { LbGroup, LbRule, VipConfig, VirtualAddr } from '../shared/config.js';
import type { ModuleMode } from '../shared/states.js';
import { Attrs, checkChildren, childrenNamed, int, oneOf, required, single, str, time, type Schema } from './attrs.js';
import type { ProblemList } from './problems.js';
import type { XmlElement } from './xml.js';
import { isDnsName, isIpv4, isIpv6, netmaskPrefix, ipv4ToInt } from './net.js';

const VIP: Schema = { tcpreset: oneOf('on', 'off'), scriptcontrol: oneOf('on', 'off') };
const INTERFACE: Schema = {
  check: oneOf('on', 'off'), arpreroute: oneOf('on', 'off'), arpinterval: time('s'), arpelapse: time('s'), name: str,
};
const VIRTUAL_INTERFACE: Schema = { type: oneOf('vmac_directed', 'vmac_invisible'), addr: str };
const VIRTUAL_ADDR: Schema = {
  addr: required(str), where: oneOf('alias', 'one_side_alias', 'one_side'), check: oneOf('on', 'off'),
  connections: oneOf('on', 'off'), netmask: str,
};
const RULE: Schema = {
  virtual_addr: str, port: str, proto: required(oneOf('tcp', 'udp', 'arp')), filter: required(oneOf('on_addr', 'on_port', 'on_ipid')),
};

export function readVip(el: XmlElement, mode: ModuleMode, problems: ProblemList): VipConfig {
  const a = new Attrs(el, VIP, problems);
  checkChildren(el, ['interface_list', 'loadbalancing_list'], problems);
  if (mode === 'mirror' && a.has('scriptcontrol')) problems.warning(a.pos('scriptcontrol'), 'scriptcontrol only applies to farm modules');
  const list = single(el, 'interface_list', problems);
  const interfaces: VipConfig['interfaces'][number][] = [];
  for (const ifEl of list ? childrenNamed(list, 'interface') : []) {
    const i = new Attrs(ifEl, INTERFACE, problems);
    checkChildren(ifEl, ['real_interface', 'virtual_interface'], problems);
    const real = childrenNamed(ifEl, 'real_interface');
    const virt = childrenNamed(ifEl, 'virtual_interface');
    if (mode === 'farm' && real.length > 0) problems.error(real[0].pos, 'a farm VIP is declared in <virtual_interface>, not <real_interface>', 'write <virtual_interface type="vmac_directed"> around the <virtual_addr>');
    let vmacType: 'vmac_directed' | 'vmac_invisible' | undefined;
    let vmac: string | undefined;
    const addrs: VirtualAddr[] = [];
    for (const holder of [...real, ...virt]) {
      if (holder.name === 'virtual_interface') {
        const v = new Attrs(holder, VIRTUAL_INTERFACE, problems);
        vmacType = (v.str('type') as typeof vmacType) ?? 'vmac_directed';
        vmac = v.str('addr');
        if (vmac !== undefined && !/^([0-9A-Fa-f]{2}[:-]){5}[0-9A-Fa-f]{2}$/.test(vmac)) problems.error(v.pos('addr'), `virtual MAC "${vmac}" is not a MAC address`, 'write six hex pairs, for example 5A:FE:C0:A8:01:14');
      } else new Attrs(holder, {}, problems);
      checkChildren(holder, ['virtual_addr'], problems);
      for (const vaEl of childrenNamed(holder, 'virtual_addr')) {
        const va = readVirtualAddr(vaEl, mode, problems);
        if (va) addrs.push(va);
      }
    }
    if (addrs.length === 0) problems.error(ifEl.pos, '<interface> declares no <virtual_addr>', 'add <virtual_addr addr="…"/>');
    interfaces.push({
      name: i.str('name'), check: i.str('check', 'on') === 'on', arpreroute: i.str('arpreroute', 'off') === 'on',
      arpintervalMs: i.num('arpinterval', 60_000), arpelapseMs: i.num('arpelapse', 1_200_000), vmacType, vmac, addrs,
    });
  }
  const groups = readGroups(el, mode, problems);
  return { tcpreset: a.str('tcpreset', 'on') === 'on', scriptcontrol: a.str('scriptcontrol', 'off') === 'on', interfaces, groups };
}

function readVirtualAddr(el: XmlElement, mode: ModuleMode, problems: ProblemList): VirtualAddr | null {
  const a = new Attrs(el, VIRTUAL_ADDR, problems);
  const addr = a.str('addr');
  if (addr === undefined) return null;
  if (!isIpv4(addr) && !isIpv6(addr) && !isDnsName(addr)) {
    problems.error(a.pos('addr'), `virtual address "${addr}" is not an IP address or a name`, 'write for example addr="192.168.1.100"');
    return null;
  }
  const where = (a.str('where') ?? (mode === 'farm' ? 'alias' : 'one_side_alias')) as VirtualAddr['where'];
  if (mode === 'farm' && where !== 'alias') problems.error(a.pos('where'), `where="${where}" is for mirror modules; a farm VIP is where="alias"`);
  if (mode === 'mirror' && where === 'alias') problems.error(a.pos('where'), 'where="alias" is for farm modules; a mirror VIP is where="one_side_alias" or "one_side"');
  const netmask = a.str('netmask');
  if (netmask !== undefined && isIpv6(addr)) {
    if (!/^\d{1,3}$/.test(netmask) || Number(netmask) > 128) problems.error(a.pos('netmask'), `netmask "${netmask}" of the IPv6 address ${addr} is not a prefix length`, 'write a number from 0 to 128, for example netmask="64"');
  } else if (netmask !== undefined) {
    const prefix = netmaskPrefix(netmask);
    if (prefix === null) problems.error(a.pos('netmask'), `netmask "${netmask}" is not a contiguous IPv4 mask`, 'write for example netmask="255.255.255.0"');
    else if (isIpv4(addr) && prefix < 31) {
      const host = ipv4ToInt(addr) & (~(0xffffffff << (32 - prefix)) >>> 0);
      const hostMax = (~(0xffffffff << (32 - prefix)) >>> 0);
      if (host === 0) problems.error(a.pos('addr'), `${addr} is the network address of its /${prefix} netmask`, 'choose a host address inside the subnet');
      if (host === hostMax) problems.error(a.pos('addr'), `${addr} is the broadcast address of its /${prefix} netmask`, 'choose a host address inside the subnet');
    }
  }
  return { addr, where, check: a.str('check', 'on') === 'on', connections: a.str('connections', 'off') === 'on', ...(netmask ? { netmask } : {}) };
}

function readGroups(el: XmlElement, mode: ModuleMode, problems: ProblemList): LbGroup[] {
  const lb = single(el, 'loadbalancing_list', problems);
  if (!lb) return [];
  if (mode !== 'farm') problems.error(lb.pos, '<loadbalancing_list> is only for farm modules', 'remove it, or use mode="farm"');
  checkChildren(lb, ['group'], problems);
  const groups: LbGroup[] = [];
  for (const g of childrenNamed(lb, 'group')) {
    const ga = new Attrs(g, { name: required(str) }, problems);
    checkChildren(g, ['cluster', 'rule'], problems);
    const hosts: { name: string; power: number }[] = [];
    const clusterEl = single(g, 'cluster', problems);
    if (clusterEl) {
      checkChildren(clusterEl, ['host'], problems);
      for (const h of childrenNamed(clusterEl, 'host')) {
        const ha = new Attrs(h, { name: required(str), power: int(0, 1 << 30) }, problems);
        const name = ha.str('name');
        if (name === undefined) continue;
        if (hosts.some((x) => x.name === name)) problems.error(ha.pos('name'), `host ${name} appears twice in group ${ga.str('name', '')}`);
        hosts.push({ name, power: ha.num('power', 1) });
      }
      if (hosts.length > 0 && hosts.every((h) => h.power === 0)) problems.error(clusterEl.pos, 'every host of the group has power="0": no node would receive traffic', 'give at least one host a power above 0');
    }
    const rules: LbRule[] = [];
    for (const r of childrenNamed(g, 'rule')) {
      const ra = new Attrs(r, RULE, problems);
      const port = ra.str('port', '*');
      if (port !== '*' && !/^\d{1,5}$/.test(port)) problems.error(ra.pos('port'), `port="${port}" is not * or a port number`);
      const proto = ra.str('proto') as LbRule['proto'] | undefined;
      const filter = ra.str('filter') as LbRule['filter'] | undefined;
      if (!proto || !filter) continue;
      if (proto === 'arp' && filter !== 'on_addr') problems.error(ra.pos('filter'), 'proto="arp" only works with filter="on_addr"');
      rules.push({ virtualAddr: ra.str('virtual_addr', '*'), port, proto, filter });
    }
    if (rules.length === 0) problems.error(g.pos, `group ${ga.str('name', '')} has no <rule>`, 'add <rule port="*" proto="tcp" filter="on_addr"/>');
    const name = ga.str('name');
    if (name && groups.some((x) => x.name === name)) problems.error(ga.pos('name'), `group ${name} is defined twice`);
    groups.push({ name: name ?? '', hosts, rules });
  }
  return groups;
}
