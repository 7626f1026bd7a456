// Interfaces for what the pure layers must not do themselves. Outer layers implement them and
// pass values in; the core never calls them (it receives `now` inside events).

/** Monotonic milliseconds, for timers and timeouts. */
export interface Clock {
  now(): number;
}

/** Seeded, reproducible randomness (the simulator and tests pass a seeded one). */
export interface Rng {
  /** Uniform in [0, 1). */
  next(): number;
  int(maxExclusive: number): number;
}

/** Mulberry32: tiny, fast and good enough for schedules and fuzzing; reproducible from a seed. */
export function seededRng(seed: number): Rng {
  let a = seed >>> 0;
  const next = (): number => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return { next, int: (max) => Math.floor(next() * max) };
}
