// Timing profiles: the defaults a module gets for every timing its configuration leaves out.
// `<service timing="…">` picks one; an attribute written in the file always wins over the profile.
//
//   tandem  (the default) heartbeats every 100 ms, peer lost after 700 ms of silence: failover
//           p99 under 1 s, and 0 false failovers in 10-minute soaks with both cores busy
//           (docs/decisions/0009-default-timing-profile.md, bench/results/).
//   safekit SafeKit 8.2's own defaults: 700 ms / 30 s. For clusters that must behave exactly as
//           before, or whose heartbeat networks are slow or lossy.
//   fast    everything scaled down for the system tests (heartbeats 50/250 ms, checkers every 1 s,
//           rules every 200 ms acting after 600 ms stable, errd every 1 s).
//
// Only heartbeats differ between tandem and safekit: checker periods, the rule period and
// stability, and the errd poll keep SafeKit's values there, since they trade detection speed
// against the load the checks put on the application, which the profile cannot know.

export type TimingName = 'tandem' | 'safekit' | 'fast';

export interface TimingProfile {
  readonly name: TimingName;
  readonly pulseMs: number;
  readonly timeoutMs: number;
  readonly checkIntervalMs: number;
  readonly checkTimeoutMs: number;
  readonly rulePeriodMs: number;
  readonly handleTimeMs: number;
  readonly errdPollMs: number;
}

const SAFEKIT: TimingProfile = {
  name: 'safekit', pulseMs: 700, timeoutMs: 30_000, checkIntervalMs: 10_000, checkTimeoutMs: 5_000,
  rulePeriodMs: 5_000, handleTimeMs: 15_000, errdPollMs: 30_000,
};

export const TIMING_PROFILES: Readonly<Record<TimingName, TimingProfile>> = {
  tandem: { ...SAFEKIT, name: 'tandem', pulseMs: 100, timeoutMs: 700 },
  safekit: SAFEKIT,
  fast: { name: 'fast', pulseMs: 50, timeoutMs: 250, checkIntervalMs: 1_000, checkTimeoutMs: 1_000, rulePeriodMs: 200, handleTimeMs: 600, errdPollMs: 1_000 },
};

export const DEFAULT_TIMING: TimingName = 'tandem';
