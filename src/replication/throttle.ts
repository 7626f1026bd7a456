// The reintegration's bandwidth cap (`reiallowedbw`, KiB/s; SAFEKIT-BEHAVIOUR §2.6.2): the sender
// calls `sent(n)` after each piece of content and waits when it is ahead of the allowed rate. Live
// replication is never capped (the application waits for it). The clock and the sleep are
// parameters so that the pacing can be tested without waiting.

export class Throttle {
  private readonly start: number;
  private bytes = 0;

  /** `bytesPerS` 0 or less: no cap. */
  constructor(
    private readonly bytesPerS: number,
    private readonly now: () => number = Date.now,
    private readonly sleep: (ms: number) => Promise<void> = (ms) => new Promise((r) => setTimeout(r, ms)),
  ) {
    this.start = now();
  }

  /** After `n` more bytes were sent: resolves when the average since the start is back under the cap. */
  async sent(n: number): Promise<void> {
    if (this.bytesPerS <= 0) return;
    this.bytes += n;
    const ahead = (this.bytes / this.bytesPerS) * 1000 - (this.now() - this.start);
    if (ahead >= 10) await this.sleep(ahead); // below 10 ms: not worth a timer
  }
}
