// Where tandem keeps its files (DESIGN §2), all under one overridable root so several nodes can
// share a host in tests and the demo: --root DIR or TANDEM_ROOT.

import { join } from 'node:path';

export interface Paths {
  readonly etc: string;
  readonly lib: string;
  readonly log: string;
  readonly run: string;
  readonly store: string;
  readonly socket: string;
}

export function paths(root: string = process.env.TANDEM_ROOT || '/'): Paths {
  const etc = join(root, 'etc/tandem');
  const lib = join(root, 'var/lib/tandem');
  const run = join(root, 'run/tandem');
  return { etc, lib, log: join(root, 'var/log/tandem'), run, store: join(lib, 'node.db'), socket: join(run, 'tandemd.sock') };
}
