// The mirror virtual IP (DESIGN §7): the primary adds each <virtual_addr> with `ip addr add` under
// a label naming the module, then announces it with gratuitous ARP (iputils arping, unsolicited
// requests: RECIPES §2 measured the neighbour switching ~5 ms after it); removal comes before any
// demotion. Idempotent: adding an address already there, or removing one already gone, is fine.

import { execFile, spawn } from 'node:child_process';
import { promisify } from 'node:util';
import type { VipConfig } from '../shared/config.js';
import { isIpv4, ipv4ToInt, netmaskPrefix } from '../config/net.js';

const run = promisify(execFile);

export interface VipAddress { readonly addr: string; readonly prefix: number; readonly device: string }

/** The interface holding an address in the same IPv4 subnet as `addr`, from `ip -o -4 addr`. */
export async function deviceFor(addr: string, prefix: number): Promise<string | null> {
  const { stdout } = await run('ip', ['-o', '-4', 'addr', 'show']);
  const mask = prefix === 0 ? 0 : (~0 << (32 - prefix)) >>> 0;
  for (const line of stdout.split('\n')) {
    const m = /^\d+:\s+(\S+)\s+inet\s+([\d.]+)\/(\d+)/.exec(line);
    if (m && m[1] !== 'lo' && ((ipv4ToInt(m[2]) & mask) >>> 0) === ((ipv4ToInt(addr) & mask) >>> 0)) return m[1].replace(/@.*/, '');
  }
  return null;
}

/** Resolves every virtual address of the config to a device and prefix length. */
export async function vipAddresses(vip: VipConfig): Promise<VipAddress[]> {
  const out: VipAddress[] = [];
  for (const intf of vip.interfaces) {
    for (const a of intf.addrs) {
      if (!isIpv4(a.addr)) throw new Error(`virtual address ${a.addr}: only IPv4 addresses are handled in this version`);
      const prefix = a.netmask ? (netmaskPrefix(a.netmask) ?? 24) : 24;
      const device = intf.name ?? await deviceFor(a.addr, prefix);
      if (!device) throw new Error(`virtual address ${a.addr}/${prefix}: no interface of this node is on that subnet; name one with <interface name="…">`);
      out.push({ addr: a.addr, prefix, device });
    }
  }
  return out;
}

export async function addVip(v: VipAddress, module: string, arp: boolean, onArpError: (message: string) => void): Promise<void> {
  try {
    await run('ip', ['addr', 'add', `${v.addr}/${v.prefix}`, 'dev', v.device, 'label', `${v.device}:${module}`.slice(0, 15)]);
  } catch (e) {
    if (!/File exists/.test(String((e as { stderr?: string }).stderr))) throw e;
  }
  if (arp) announce(v, onArpError);
}

/**
 * Unsolicited ARP requests (sender = target = VIP), three over two seconds (a neighbour ignores one
 * that lands within its 1 s locktime of an earlier update: RECIPES §2). Not awaited: arping lingers
 * after sending, and the first frame leaves at once. A missing arping is reported, not fatal.
 */
export function announce(v: VipAddress, onError: (message: string) => void): void {
  const child = spawn('arping', ['-q', '-U', '-c', '3', '-i', '1', '-I', v.device, v.addr], { stdio: 'ignore' });
  child.on('error', (e: NodeJS.ErrnoException) => onError(e.code === 'ENOENT' ? 'arping is missing (Debian package iputils-arping): clients keep the old MAC address for up to 45 s' : e.message));
}

export async function vipPresent(v: VipAddress): Promise<boolean> {
  const { stdout } = await run('ip', ['-o', '-4', 'addr', 'show', 'dev', v.device]);
  return stdout.includes(` inet ${v.addr}/`);
}

export async function removeVip(v: VipAddress): Promise<void> {
  try {
    await run('ip', ['addr', 'del', `${v.addr}/${v.prefix}`, 'dev', v.device]);
  } catch (e) {
    if (!/Cannot assign requested address|not found/i.test(String((e as { stderr?: string }).stderr))) throw e;
  }
}
