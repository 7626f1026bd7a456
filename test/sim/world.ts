// What the mirror and farm simulations share: a clock, a seeded random source, the network, the
// event queue and its loop. An event addressed to a node that crashed or restarted since it was
// scheduled (another incarnation) is dropped, as a real packet or timer would be.

import { EventQueue } from './queue.js';
import { Network } from './network.js';
import { seededRng, type Rng } from '../../src/shared/ports.js';

export interface SimNodeBase {
  readonly name: string;
  alive: boolean;
  incarnation: number;
}

export abstract class SimWorld<N extends SimNodeBase, I extends { readonly node: string; readonly incarnation: number }> {
  now = 0;
  readonly rng: Rng;
  readonly net: Network;
  readonly nodes = new Map<string, N>();
  readonly queue = new EventQueue<I>();
  /** Output lines: `node | component | level | text`, and what the harness adds. */
  readonly trace: string[] = [];
  /** Called after every processed event (the simulator checks its invariants there). */
  onStep: ((world: this) => void) | null = null;

  constructor(seed: number) {
    this.rng = seededRng(seed);
    this.net = new Network(this.rng);
  }

  node(name: string): N {
    const n = this.nodes.get(name);
    if (!n) throw new Error(`no node ${name}`);
    return n;
  }

  /** Runs the world for `ms` of simulated time. */
  run(ms: number): void {
    const until = this.now + ms;
    for (;;) {
      const at = this.queue.peekTime();
      if (at === undefined || at > until) break;
      const { item } = this.queue.pop()!;
      this.now = Math.max(this.now, at);
      const n = this.node(item.node);
      if (!n.alive || n.incarnation !== item.incarnation) continue;
      this.handle(n, item);
      this.onStep?.(this);
    }
    this.now = Math.max(this.now, until);
  }

  protected abstract handle(node: N, item: I): void;
}
