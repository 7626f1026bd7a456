// The system-log sink: main module messages also go to the machine's log as RFC 5424 records,
// tag "tandem", text "<module> | <component> | <text>" (SAFEKIT-BEHAVIOUR §10.4). Node has no unix
// datagram sockets, so records are handed to util-linux `logger` (present on every Debian), one
// process per batch, in order. Where no socket exists (these machines have neither /dev/log nor
// journald) the sink stays silent: it never fails the caller.

import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';

export interface SyslogRecord {
  readonly module: string;
  readonly component: string;
  readonly level: 'U' | 'E' | 'C' | 'S' | 'I' | 'D';
  readonly text: string;
}

/** SafeKit levels to syslog severities: C → crit, E → notice, U/S → info, I/D → debug. */
const SEVERITY: Record<SyslogRecord['level'], string> = { C: 'crit', E: 'notice', U: 'info', S: 'info', I: 'debug', D: 'debug' };

export class SyslogSink {
  private queue: SyslogRecord[] = [];
  private busy = false;
  private idle: (() => void)[] = [];

  /** `socket`: /dev/log by default; tests pass a socket they bind. */
  constructor(private readonly socket = '/dev/log', private readonly facility = 'daemon') {}

  get enabled(): boolean {
    return existsSync(this.socket);
  }

  write(record: SyslogRecord): void {
    if (!this.enabled) return;
    this.queue.push(record);
    if (!this.busy) this.drain();
  }

  /** Resolves once everything written so far has been handed over. */
  flushed(): Promise<void> {
    return this.busy || this.queue.length ? new Promise((r) => this.idle.push(r)) : Promise.resolve();
  }

  private drain(): void {
    const record = this.queue.shift();
    if (!record) {
      this.busy = false;
      this.idle.splice(0).forEach((r) => r());
      return;
    }
    this.busy = true;
    const line = `${record.module} | ${record.component} | ${record.text}`.replace(/[\r\n]+/g, ' ');
    const child = spawn('logger', ['--socket', this.socket, '--rfc5424=notq', '-d', `--id=${process.pid}`, '-t', 'tandem', '-p', `${this.facility}.${SEVERITY[record.level]}`, '--', line], { stdio: 'ignore' });
    child.on('error', () => this.drain()); // no logger binary: drop silently, never fail the caller
    child.on('exit', () => this.drain());
  }
}
