// External synchronisation (SafeKit's `rfssync external`, SAFEKIT-BEHAVIOUR §2.6.2): a large copy
// is seeded from a backup rather than sent whole. The primary records every change from the
// command on (replicator.ts, `seed`); the backup is taken after it and restored on the other node,
// where `rfssync external second <uid>` is given once the restore is done. At the next start this
// secondary asks for that name and receives only what the primary recorded since.
//
// This side's check: an entry of the restored copy changed after the command (someone wrote into
// it before the start) is not in the primary's record, so the copy cannot be trusted: a full
// synchronisation instead, said in the log. `rfssync -d … <uid>` skips the check (the operator
// vouches for the copy).

import { join } from 'node:path';
import type { SeedRequest } from '../core/actions.js';
import type { Hello } from './link.js';
import { walk } from './manifest.js';
import type { Source } from './scope.js';

/** What the secondary asks for: `external` with the name, or `full` when its copy changed after the command. */
export function seedRequest(seed: SeedRequest, sources: readonly Source[], dirs: readonly string[], log: (text: string) => void): Pick<Hello, 'mode' | 'seed'> {
  if (seed.check) {
    const after = BigInt(seed.atMs) * 1_000_000n;
    for (const [i, source] of sources.entries()) {
      for (const { rel, st } of walk(source.root, source.scope)) {
        if (st.ctimeNs < after) continue;
        log(`External synchronization ${seed.uid}: ${join(dirs[i], rel)} changed on this node after "rfssync external second" was given: this copy cannot be trusted, full synchronization instead`);
        return { mode: 'full' };
      }
    }
  }
  log(`External synchronization ${seed.uid}: this copy (restored from the backup) asks the primary for what changed since${seed.check ? '' : ' (-d: the copy is not checked)'}`);
  return { mode: 'external', seed: seed.uid };
}
