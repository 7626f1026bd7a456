// How the machine's idle CPUs wait, which the FUSE path pays for on every request: a synchronous
// request wakes the server's thread and then the application, and on a KVM guest an idle vCPU that
// halted must be woken by the host. The cpuidle-haltpoll driver makes an idle vCPU poll for up to
// guest_halt_poll_ns before it halts; 0 (as on this machine kind) means it halts at once. Measured
// here: FUSE passthrough small-file creates 1 803/s with 0, 6 058/s with 200 000
// (docs/decisions/0014-vcpu-idle-polling.md). tandem never changes this setting; a benchmark may,
// for its run, when asked (--halt-poll-ns), and puts it back.

import * as fs from 'node:fs';

const HALT_POLL = '/sys/module/haltpoll/parameters/guest_halt_poll_ns';
const DRIVER = '/sys/devices/system/cpu/cpuidle/current_driver';

const read = (path: string): string | null => { try { return fs.readFileSync(path, 'utf8').trim(); } catch { return null; } };

export interface VcpuIdle {
  /** The cpuidle driver ("haltpoll" on a KVM guest with it; null without cpuidle). */
  readonly driver: string | null;
  /** guest_halt_poll_ns, when the haltpoll driver is there. */
  readonly guestHaltPollNs: number | null;
}

export function vcpuIdle(): VcpuIdle {
  const ns = read(HALT_POLL);
  return { driver: read(DRIVER), guestHaltPollNs: ns === null ? null : Number(ns) };
}

/**
 * Sets guest_halt_poll_ns for a benchmark run; returns what puts the old value back. Throws, with
 * what to do, where the machine has no haltpoll driver.
 */
export function setHaltPoll(ns: number): () => void {
  const before = read(HALT_POLL);
  if (before === null) throw new Error(`--halt-poll-ns: this machine has no ${HALT_POLL} (not a KVM guest with the cpuidle-haltpoll driver); run without it`);
  fs.writeFileSync(HALT_POLL, String(ns));
  return () => fs.writeFileSync(HALT_POLL, before);
}

/** One line for the benchmark's output. */
export function describe(idle: VcpuIdle): string {
  if (idle.guestHaltPollNs === null) return `idle CPUs: cpuidle driver ${idle.driver ?? 'none'}`;
  return `idle vCPUs: ${idle.driver} driver, guest_halt_poll_ns=${idle.guestHaltPollNs}${idle.guestHaltPollNs === 0 ? ' (an idle vCPU halts at once: every wake-up goes through the host)' : ''}`;
}
