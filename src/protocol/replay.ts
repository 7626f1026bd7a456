// Drops duplicated, replayed and reordered-too-late packets per sender. A sender restarts with a
// higher incarnation; within an incarnation, sequence numbers grow and a 64-packet window accepts
// late arrivals exactly once.

const WINDOW = 64n;

export class ReplayGuard {
  private readonly senders = new Map<string, { incarnation: number; top: number; seen: bigint }>();

  /** True when the packet is new and should be processed. */
  accept(from: string, incarnation: number, seq: number): boolean {
    const s = this.senders.get(from);
    if (!s || incarnation > s.incarnation) {
      this.senders.set(from, { incarnation, top: seq, seen: 1n });
      return true;
    }
    if (incarnation < s.incarnation) return false;
    if (seq > s.top) {
      const shift = BigInt(seq - s.top);
      s.seen = shift >= WINDOW ? 1n : ((s.seen << shift) | 1n) & ((1n << WINDOW) - 1n);
      s.top = seq;
      return true;
    }
    const back = BigInt(s.top - seq);
    if (back >= WINDOW) return false;
    const bit = 1n << back;
    if (s.seen & bit) return false;
    s.seen |= bit;
    return true;
  }

  forget(from: string): void {
    this.senders.delete(from);
  }
}
