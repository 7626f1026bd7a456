// What both failover benchmarks compute from the client's record of attempts.

/** The first good reply from `survivor` to an attempt started after the kill, and the failures after it. */
export function firstGoodAfter(pollerOutput: string, killedAt: number, survivor: string): { ms: number; failedAfter: number } {
  const attempts = pollerOutput.split('\n').filter(Boolean).map((l) => JSON.parse(l) as [number, number, string]);
  const good = attempts.filter(([t0, , body]) => t0 > killedAt && body === survivor).sort((a, b) => a[1] - b[1])[0];
  if (!good) throw new Error(`${survivor} never answered`);
  return { ms: Math.round(good[1] - killedAt), failedAfter: attempts.filter(([t0, , body]) => t0 > good[1] && body !== survivor).length };
}

/** The value at percentile `p` of `sorted` (ascending), nearest rank. */
export function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

export function summarize(values: readonly number[]): { n: number; p50: number; p90: number; p99: number; min: number; max: number; mean: number } {
  const ms = [...values].sort((a, b) => a - b);
  return { n: ms.length, p50: percentile(ms, 50), p90: percentile(ms, 90), p99: percentile(ms, 99), min: ms[0], max: ms[ms.length - 1], mean: Math.round(ms.reduce((a, b) => a + b, 0) / ms.length) };
}
