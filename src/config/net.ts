// Address syntax checks. Pure: they read text, never the host's interfaces.

export function isIpv4(s: string): boolean {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(s);
  return !!m && m.slice(1).every((p) => Number(p) <= 255 && String(Number(p)) === p);
}

export function isIpv6(s: string): boolean {
  if (!/^[0-9A-Fa-f:.]+$/.test(s) || !s.includes(':')) return false;
  const parts = s.split('::');
  if (parts.length > 2) return false;
  const groups = parts.flatMap((p) => (p ? p.split(':') : []));
  const tail = groups[groups.length - 1] ?? '';
  const v4 = tail.includes('.') ? (isIpv4(tail) ? 2 : -99) : 0;
  const hex = groups.slice(0, v4 ? -1 : undefined);
  if (v4 < 0 || !hex.every((g) => /^[0-9A-Fa-f]{1,4}$/.test(g))) return false;
  const count = hex.length + v4;
  return parts.length === 2 ? count < 8 : count === 8;
}

export function isDnsName(s: string): boolean {
  return s.length <= 253 && /^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/.test(s);
}

/** A cluster.xml address as sockets take it: an IPv6 address loses its brackets. */
export function unbracket(addr: string): string {
  return addr.replace(/^\[(.*)\]$/, '$1');
}

/** cluster.xml addresses: IPv4, IPv6 in brackets, or a DNS name. */
export function isAddress(s: string): boolean {
  if (s.startsWith('[') && s.endsWith(']')) return isIpv6(s.slice(1, -1));
  return isIpv4(s) || (!/^[\d.]+$/.test(s) && isDnsName(s));
}

export function ipv4ToInt(s: string): number {
  return s.split('.').reduce((acc, p) => ((acc << 8) | Number(p)) >>> 0, 0);
}

/** A dotted netmask (255.255.255.0) or a prefix length ("24") → prefix length, or null. */
export function netmaskPrefix(mask: string): number | null {
  if (/^\d{1,2}$/.test(mask)) return Number(mask) <= 32 ? Number(mask) : null;
  if (!isIpv4(mask)) return null;
  const n = ipv4ToInt(mask);
  const prefix = 32 - Math.log2((~n >>> 0) + 1);
  return Number.isInteger(prefix) ? prefix : null;
}

/** An IPv6 address as a 128-bit number (syntax already checked with isIpv6). */
export function ipv6ToBigInt(s: string): bigint {
  let text = s;
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (v4) {
    const n = ipv4ToInt(v4[1]);
    text = `${text.slice(0, -v4[1].length)}${(n >>> 16).toString(16)}:${(n & 0xffff).toString(16)}`;
  }
  const [head, tail] = text.split('::');
  const groups = (p: string | undefined) => (p ? p.split(':') : []);
  const h = groups(head);
  const t = groups(tail);
  const all = tail === undefined ? h : [...h, ...Array(8 - h.length - t.length).fill('0'), ...t];
  return all.reduce((acc, g) => (acc << 16n) | BigInt(parseInt(g, 16)), 0n);
}

/** Whether two addresses of the same family share their first `prefix` bits. */
export function sameSubnet(a: string, b: string, prefix: number): boolean {
  if (isIpv4(a) && isIpv4(b)) {
    const mask = prefix === 0 ? 0 : (~0 << (32 - prefix)) >>> 0;
    return ((ipv4ToInt(a) & mask) >>> 0) === ((ipv4ToInt(b) & mask) >>> 0);
  }
  if (isIpv6(a) && isIpv6(b)) {
    const shift = BigInt(128 - prefix);
    return ipv6ToBigInt(a) >> shift === ipv6ToBigInt(b) >> shift;
  }
  return false;
}
