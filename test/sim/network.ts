// The simulated network between nodes: delay, loss, duplication and partitions, all drawn from the
// world's seeded random-number generator.

import type { Rng } from '../../src/shared/ports.js';

export interface NetworkFaults {
  loss: number;
  duplication: number;
  minDelayMs: number;
  maxDelayMs: number;
}

export const CLEAN_NETWORK: NetworkFaults = { loss: 0, duplication: 0, minDelayMs: 1, maxDelayMs: 1 };

export class Network {
  faults: NetworkFaults = { ...CLEAN_NETWORK };
  private readonly cuts = new Set<string>();
  constructor(private readonly rng: Rng) {}

  partition(a: string, b: string): void {
    this.cuts.add(pair(a, b));
  }

  heal(): void {
    this.cuts.clear();
  }

  connected(a: string, b: string): boolean {
    return this.cuts.size === 0 || !this.cuts.has(pair(a, b));
  }

  /** Delivery delays for one packet: [] when lost, two entries when duplicated. */
  deliveries(from: string, to: string): number[] {
    if (!this.connected(from, to)) return [];
    const f = this.faults;
    if (f.loss > 0 && this.rng.next() < f.loss) return [];
    const delay = (): number => f.minDelayMs + Math.floor(this.rng.next() * (f.maxDelayMs - f.minDelayMs + 1));
    const out = [delay()];
    if (f.duplication > 0 && this.rng.next() < f.duplication) out.push(delay());
    return out;
  }
}

function pair(a: string, b: string): string {
  return a < b ? `${a}|${b}` : `${b}|${a}`;
}
