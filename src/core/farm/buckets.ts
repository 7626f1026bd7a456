// Farm load balancing (DESIGN §7, SAFEKIT-BEHAVIOUR §3.3): 256 buckets, each owned by exactly one
// UP node, in proportion to the nodes' power.
//
// rebalance(previous, members) is deterministic (every node computes the same result from the same
// inputs) and moves as little as possible: a bucket keeps its owner unless the owner left or holds
// more than its new quota, and only freed buckets are handed out. So when one node leaves only its
// buckets move, and when one returns only the buckets it must take move. Shares: quotas by the
// largest-remainder method, so each node is within one bucket of its exact weighted share.
// If every member has power 0, they share equally (a bucket nobody owns would drop traffic).

export const BUCKETS = 256;

export interface Member {
  readonly name: string;
  readonly power: number;
}

/** Owner per bucket ('' = none). */
export type BucketMap = readonly string[];

export function quotas(members: readonly Member[]): Map<string, number> {
  const sorted = [...members].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const total = sorted.reduce((s, m) => s + m.power, 0);
  const weight = (m: Member): number => (total === 0 ? 1 : m.power);
  const sum = total === 0 ? sorted.length : total;
  const q = new Map<string, number>();
  const remainders: { name: string; frac: number }[] = [];
  let given = 0;
  for (const m of sorted) {
    const exact = (BUCKETS * weight(m)) / sum;
    const whole = Math.floor(exact);
    q.set(m.name, whole);
    given += whole;
    remainders.push({ name: m.name, frac: exact - whole });
  }
  remainders.sort((a, b) => b.frac - a.frac || (a.name < b.name ? -1 : 1));
  for (let i = 0; given < BUCKETS && sorted.length > 0; i++, given++) {
    const r = remainders[i % remainders.length];
    q.set(r.name, (q.get(r.name) ?? 0) + 1);
  }
  return q;
}

export function rebalance(previous: BucketMap | null, members: readonly Member[]): string[] {
  if (members.length === 0) return new Array<string>(BUCKETS).fill('');
  const quota = quotas(members);
  const count = new Map<string, number>([...quota.keys()].map((n) => [n, 0]));
  const owners = new Array<string>(BUCKETS).fill('');
  if (previous) {
    for (let b = 0; b < BUCKETS; b++) {
      const o = previous[b];
      if (o && quota.has(o) && count.get(o)! < quota.get(o)!) {
        owners[b] = o;
        count.set(o, count.get(o)! + 1);
      }
    }
  }
  // Freed buckets, in ascending order, to the member furthest below its quota (ties: name).
  const names = [...quota.keys()];
  for (let b = 0; b < BUCKETS; b++) {
    if (owners[b]) continue;
    let best = '';
    let bestDeficit = 0;
    for (const n of names) {
      const deficit = quota.get(n)! - count.get(n)!;
      if (deficit > bestDeficit) { best = n; bestDeficit = deficit; }
    }
    owners[b] = best;
    count.set(best, count.get(best)! + 1);
  }
  return owners;
}

export function ownedBy(map: BucketMap, name: string): number[] {
  const out: number[] = [];
  map.forEach((o, b) => { if (o === name) out.push(b); });
  return out;
}

/** SafeKit's bitmap print: 8 words of 32 bits, most significant bucket first per word. */
export function bitmapWords(owned: readonly number[]): string {
  const words = new Array<number>(8).fill(0);
  for (const b of owned) words[b >> 5] |= 1 << (31 - (b & 31));
  return words.map((w) => (w >>> 0).toString(16).padStart(8, '0')).join(':');
}

/**
 * A set of buckets as 64 hex digits (bit b = bucket b): compact on the wire and cheap to combine.
 */
export type BucketSet = string;

export const NO_BUCKETS: BucketSet = '0'.repeat(BUCKETS / 4);

export function toBits(set: BucketSet): bigint {
  return BigInt(`0x${set}`);
}

export function fromBits(bits: bigint): BucketSet {
  return bits.toString(16).padStart(BUCKETS / 4, '0');
}

export function bucketSetOf(buckets: Iterable<number>): BucketSet {
  let bits = 0n;
  for (const b of buckets) bits |= 1n << BigInt(b);
  return fromBits(bits);
}

export function bucketList(set: BucketSet): number[] {
  const bits = toBits(set);
  const out: number[] = [];
  for (let b = 0; b < BUCKETS; b++) if ((bits >> BigInt(b)) & 1n) out.push(b);
  return out;
}

/** The bucket set of every owner in a map. */
export function ownerSets(map: BucketMap): Record<string, BucketSet> {
  const lists = new Map<string, number[]>();
  map.forEach((o, b) => { if (o) { const l = lists.get(o) ?? []; l.push(b); lists.set(o, l); } });
  return Object.fromEntries([...lists].map(([o, l]) => [o, bucketSetOf(l)]));
}
