// Is a service running? errd's <proc service="yes"> asks the node's service manager, through one
// port with three implementations, chosen per check:
//   systemd  when /run/systemd/system exists (systemd is PID 1): `systemctl is-active NAME`;
//   LSB      when /etc/init.d/NAME exists: `service NAME status`, exit 0 = running (LSB 3.0);
//   pidfile  /run/NAME.pid, /run/NAME/NAME.pid or /var/run/NAME.pid naming a live process.
// A machine with `systemctl` installed but no systemd running (containers, these lab machines) is
// not read as "every service is down": systemctl is only asked when systemd runs.

import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface ServiceStatus {
  readonly running: boolean;
  /** How it was asked, for the log: "systemd", "LSB /etc/init.d/NAME", "pidfile PATH" or why none. */
  readonly how: string;
}

export interface ServiceRoots {
  readonly systemdDir: string;
  readonly initDir: string;
  readonly pidDirs: readonly string[];
}

export const SYSTEM_ROOTS: ServiceRoots = { systemdDir: '/run/systemd/system', initDir: '/etc/init.d', pidDirs: ['/run', '/var/run'] };

export async function serviceStatus(name: string, roots: ServiceRoots = SYSTEM_ROOTS): Promise<ServiceStatus> {
  const exitsZero = (cmd: string, args: string[]): Promise<boolean> => run(cmd, args, { timeout: 10_000 }).then(() => true, () => false);
  if (existsSync(roots.systemdDir)) return { running: await exitsZero('systemctl', ['is-active', '--quiet', name]), how: 'systemd' };
  const script = `${roots.initDir}/${name}`;
  if (existsSync(script)) return { running: await exitsZero('service', [name, 'status']), how: `LSB ${script}` };
  for (const dir of roots.pidDirs) {
    for (const file of [`${dir}/${name}.pid`, `${dir}/${name}/${name}.pid`]) {
      if (existsSync(file)) return { running: pidAlive(file), how: `pidfile ${file}` };
    }
  }
  return { running: false, how: `no systemd, no ${script}, no ${roots.pidDirs[0]}/${name}.pid` };
}

function pidAlive(file: string): boolean {
  const pid = Number(readFileSync(file, 'utf8').trim().split(/\s+/)[0]);
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM'; // alive, owned by another user
  }
}
