// Commands that act through the node daemon (tandemd) over its local socket say so plainly and exit
// 3 when it is not running or does not answer — and, for module commands, until the module
// supervisor lands (node-daemon issue) — rather than fail obscurely.

import { existsSync } from 'node:fs';
import { EXIT, fail, type Output } from './output.js';
import { paths } from '../daemon/paths.js';

export function needsDaemon(command: string, out: Output, root?: string): never {
  const socket = paths(root).socket;
  const why = existsSync(socket)
    ? `nobody answers on tandemd's socket ${socket} (a stale socket left by a crashed daemon?)`
    : `the node daemon tandemd is not running (no socket at ${socket})`;
  fail(out, EXIT.noDaemon, `"${command}" needs the node daemon: ${why}`,
    'start it with "systemctl start tandemd" (or "tandemd --root DIR" in a lab); "tandem config check" works without it');
}
