// The mirror virtual IP (DESIGN §7), one address at a time: the primary adds each <virtual_addr>
// with `ip addr add` (IPv4 under a label naming the module; IPv6 usable at once, see addIpv6) and
// announces it: IPv4 with unsolicited ARP requests (iputils arping; RECIPES §2 measured the
// neighbour switching ~5 ms after it), IPv6 with the unsolicited neighbour advertisement the kernel
// sends itself (addIpv6 says how; Debian's ndisc6 does not ship ndsend). Before removal, TCP connections from the VIP are reset (`ss -K`, tcpreset), so
// clients learn at once rather than at their next timeout. Idempotent: adding an address already
// there, or removing one already gone, is fine.

import { execFile, spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { promisify } from 'node:util';
import type { VipConfig } from '../shared/config.js';
import { isIpv4, isIpv6, netmaskPrefix, sameSubnet } from '../config/net.js';

const run = promisify(execFile);

export interface VipAddress {
  /** As `ip` prints it (IPv6 in its canonical short form). */
  readonly addr: string;
  readonly family: 4 | 6;
  readonly prefix: number;
  readonly device: string;
}

/** IPv6 in the short form `ip` prints, so the two can be compared as text. */
export function canonical(addr: string): string {
  return isIpv6(addr) ? new URL(`http://[${addr}]`).hostname.slice(1, -1) : addr;
}

/** The interface holding an address in the same subnet as `addr` (not lo), from `ip -o addr`. */
export async function deviceFor(addr: string, prefix: number): Promise<string | null> {
  const family = isIpv4(addr) ? '-4' : '-6';
  const { stdout } = await run('ip', ['-o', family, 'addr', 'show']);
  for (const line of stdout.split('\n')) {
    const m = /^\d+:\s+(\S+)\s+inet6?\s+([0-9a-fA-F.:]+)\/(\d+)/.exec(line);
    if (m && m[1] !== 'lo' && sameSubnet(m[2], addr, prefix)) return m[1].replace(/@.*/, '');
  }
  return null;
}

/** Every virtual address of the config with its device and prefix length. */
export async function vipAddresses(vip: VipConfig): Promise<VipAddress[]> {
  const out: VipAddress[] = [];
  for (const intf of vip.interfaces) {
    for (const a of intf.addrs) {
      const family = isIpv4(a.addr) ? 4 : isIpv6(a.addr) ? 6 : null;
      if (family === null) throw new Error(`virtual address ${a.addr}: write an IP address; names are not resolved for a mirror VIP`);
      const prefix = family === 4 ? (a.netmask ? (netmaskPrefix(a.netmask) ?? 24) : 24) : (a.netmask ? Number(a.netmask) : 64);
      const device = intf.name ?? await deviceFor(a.addr, prefix);
      if (!device) throw new Error(`virtual address ${a.addr}/${prefix}: no interface of this node is on that subnet; name one with <interface name="…">`);
      out.push({ addr: canonical(a.addr), family, prefix, device });
    }
  }
  return out;
}

export async function addVip(v: VipAddress, module: string): Promise<void> {
  if (v.family === 6) return addIpv6(v);
  await ipAdd(['addr', 'add', `${v.addr}/${v.prefix}`, 'dev', v.device, 'label', `${v.device}:${module}`.slice(0, 15)]);
}

async function ipAdd(args: string[]): Promise<void> {
  try {
    await run('ip', args);
  } catch (e) {
    if (!/File exists/.test(String((e as { stderr?: string }).stderr))) throw e;
  }
}

/**
 * The kernel advertises a new IPv6 address (unsolicited NA with the override flag) when the device's
 * ndisc_notify is on and the address skips duplicate address detection as a tentative address
 * (net/ipv6/addrconf.c, addrconf_dad_begin): so DAD is switched off on the device while the address
 * is added, and back on once it is no longer tentative. `nodad` would skip the advertisement too,
 * and DAD itself would hold the address unusable for a second. Measured on this kernel: the client's
 * entry moves at once (test/system/mirror-vip). The sysctls belong to this network namespace.
 */
async function addIpv6(v: VipAddress): Promise<void> {
  const conf = `/proc/sys/net/ipv6/conf/${v.device}`;
  const read = (name: string): string | null => { try { return readFileSync(`${conf}/${name}`, 'utf8').trim(); } catch { return null; } };
  const write = (name: string, value: string): void => { try { writeFileSync(`${conf}/${name}`, value); } catch { /* not root: DAD runs, no advertisement */ } };
  if (read('ndisc_notify') !== '1') write('ndisc_notify', '1');
  const acceptDad = read('accept_dad');
  if (acceptDad !== null && acceptDad !== '0') write('accept_dad', '0');
  try {
    await ipAdd(['-6', 'addr', 'add', `${v.addr}/${v.prefix}`, 'dev', v.device]);
    for (let i = 0; i < 20; i++) {
      const { stdout } = await run('ip', ['-o', '-6', 'addr', 'show', 'dev', v.device]);
      if (!stdout.split('\n').some((l) => l.includes(` inet6 ${v.addr}/`) && l.includes('tentative'))) break;
      await new Promise((r) => setTimeout(r, 5));
    }
  } finally {
    if (acceptDad !== null && acceptDad !== '0') write('accept_dad', acceptDad);
  }
}

/**
 * IPv4 only: unsolicited ARP requests (sender = target = VIP), `count` of them a second apart (a
 * neighbour ignores one that lands within its 1 s locktime of an earlier update: RECIPES §2). Not
 * awaited: the first frame leaves at once. A missing arping is reported, not fatal. (IPv6
 * addresses are advertised by the kernel as they are added: addIpv6.)
 */
export function announce(v: VipAddress, count: number, onError: (message: string) => void): void {
  if (v.family !== 4) return;
  const child = spawn('arping', ['-q', '-U', '-c', String(count), '-i', '1', '-I', v.device, v.addr], { stdio: 'ignore' });
  child.on('error', (e: NodeJS.ErrnoException) => onError(e.code === 'ENOENT' ? 'arping is missing (Debian package iputils-arping): clients keep the old MAC address for up to 45 s' : e.message));
}

export async function vipPresent(v: VipAddress): Promise<boolean> {
  const { stdout } = await run('ip', ['-o', v.family === 4 ? '-4' : '-6', 'addr', 'show', 'dev', v.device]);
  return stdout.includes(` ${v.family === 4 ? 'inet' : 'inet6'} ${v.addr}/`);
}

/** ss filters take an IPv6 address in brackets (else it reads "fd00:74:" as a prefix). */
const ssAddress = (v: VipAddress): string => (v.family === 6 ? `[${v.addr}]` : v.addr);

/** Resets the TCP connections whose local address is the VIP (tcpreset); returns how many there were. */
export async function resetConnections(v: VipAddress): Promise<number> {
  const n = await countConnections(v);
  if (n > 0) await run('ss', ['-K', '-t', 'src', ssAddress(v)]).catch(() => undefined);
  return n;
}

/** Established TCP connections whose local address is the VIP (the connections.<VIP> resource). */
export async function countConnections(v: VipAddress): Promise<number> {
  const { stdout } = await run('ss', ['-H', '-t', '-n', 'state', 'established', 'src', ssAddress(v)]);
  return stdout.split('\n').filter((l) => l.trim()).length;
}

export async function removeVip(v: VipAddress): Promise<void> {
  try {
    await run('ip', ['addr', 'del', `${v.addr}/${v.prefix}`, 'dev', v.device]);
  } catch (e) {
    if (!/Cannot assign requested address|not found/i.test(String((e as { stderr?: string }).stderr))) throw e;
  }
}
