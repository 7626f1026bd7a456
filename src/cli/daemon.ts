// Commands that act on modules go through the node daemon (tandemd) over its local socket. The
// daemon arrives with the node-daemon issue; until then, and whenever it is not running, these
// commands say so plainly and exit 3 rather than fail obscurely.

import { existsSync } from 'node:fs';
import { EXIT, fail, type Output } from './output.js';
import { paths } from '../daemon/paths.js';

export function needsDaemon(command: string, out: Output, root?: string): never {
  const socket = paths(root).socket;
  const why = existsSync(socket)
    ? `tandemd's socket ${socket} exists but this tandem cannot talk to a daemon yet`
    : `the node daemon tandemd is not running (no socket at ${socket})`;
  fail(out, EXIT.noDaemon, `"${command}" needs the node daemon: ${why}`,
    'start it with "systemctl start tandemd" (or "tandemd --root DIR" in a lab); "tandem config check" works without it');
}
