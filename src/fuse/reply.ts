// Writing one answer to /dev/fuse, for the worker that handles requests and for the main thread
// that answers the requests waiting on replication.

import { writeSync, writevSync } from 'node:fs';
import { outHeader } from './codec.js';

/**
 * Writes the answer to request `unique`. Returns null, or the error code of a failed write:
 * ENOENT when the request was interrupted meanwhile (harmless), anything else when the mount is gone.
 */
export function writeReply(fd: number, unique: bigint, error: number, payload?: Buffer): string | null {
  const header = outHeader(unique, error, payload?.length ?? 0);
  try {
    if (payload?.length) writevSync(fd, [header, payload]);
    else writeSync(fd, header);
    return null;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code ?? 'EIO';
  }
}
