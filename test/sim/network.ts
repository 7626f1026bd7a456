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

/**
 * How many packets a holding cut keeps per direction, the newest ones (Linux's neighbour queue
 * drops its oldest packet when full, as a full socket buffer or a switch queue would drop some).
 */
const HELD_MAX = 50;

/**
 * A cut either drops what crosses it, or holds it and lets it all through at once when it heals.
 * The second is what a link that went down does on Linux: packets to a neighbour whose address is
 * being resolved again wait in its queue, and arrive, seconds old and oldest first, right after
 * the link comes back (the mirror's witness test met exactly this, CI of 2026-12-04).
 */
export class Network {
  faults: NetworkFaults = { ...CLEAN_NETWORK };
  private readonly cuts = new Map<string, { held: { from: string; deliver: () => void }[] } | null>();
  constructor(private readonly rng: Rng) {}

  partition(a: string, b: string, hold = false): void {
    this.cuts.set(pair(a, b), hold ? { held: [] } : null);
  }

  /** Ends every cut; what holding cuts kept is delivered now, in the order it was sent. */
  heal(): void {
    const held = [...this.cuts.values()].flatMap((c) => c?.held ?? []);
    this.cuts.clear();
    for (const p of held) p.deliver();
  }

  connected(a: string, b: string): boolean {
    return this.cuts.size === 0 || !this.cuts.has(pair(a, b));
  }

  /**
   * Sends one packet: `deliver(delayMs)` is called once per copy that will arrive (none when lost,
   * two when duplicated); a holding cut calls it with 0 when it heals.
   */
  send(from: string, to: string, deliver: (delayMs: number) => void): void {
    const cut = this.cuts.get(pair(from, to));
    if (cut !== undefined) {
      if (cut === null) return;
      cut.held.push({ from, deliver: () => deliver(0) });
      const mine = cut.held.filter((p) => p.from === from);
      if (mine.length > HELD_MAX) cut.held.splice(cut.held.indexOf(mine[0]), 1);
      return;
    }
    const f = this.faults;
    if (f.loss > 0 && this.rng.next() < f.loss) return;
    const delay = (): number => f.minDelayMs + Math.floor(this.rng.next() * (f.maxDelayMs - f.minDelayMs + 1));
    deliver(delay());
    if (f.duplication > 0 && this.rng.next() < f.duplication) deliver(delay());
  }
}

function pair(a: string, b: string): string {
  return a < b ? `${a}|${b}` : `${b}|${a}`;
}
