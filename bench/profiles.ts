// The timing profiles the benchmarks compare: the product's own (src/config/timing.ts), chosen in
// the module with <service timing="NAME">, so a benchmark measures exactly what users get.

import { TIMING_PROFILES, type TimingName, type TimingProfile } from '../src/config/timing.js';

export function benchProfile(name: string): TimingProfile {
  const profile = TIMING_PROFILES[name as TimingName];
  if (!profile) throw new Error(`--profile ${name}: one of ${Object.keys(TIMING_PROFILES).join(', ')}`);
  return profile;
}

/** `pulse 100 ms, timeout 700 ms`, for summaries. */
export const describeHeart = (p: TimingProfile): string => `pulse ${p.pulseMs} ms, timeout ${p.timeoutMs} ms`;
