// The heartbeat timing profiles the benchmarks compare (set explicitly in <heart pulse timeout>).

export const PROFILES: Record<string, { pulse: string; timeout: string; pulseMs: number; timeoutMs: number }> = {
  default: { pulse: '100ms', timeout: '700ms', pulseMs: 100, timeoutMs: 700 },
  fast: { pulse: '50ms', timeout: '250ms', pulseMs: 50, timeoutMs: 250 },
  safekit: { pulse: '700ms', timeout: '30s', pulseMs: 700, timeoutMs: 30_000 },
};
