// The unit of a full synchronisation's comparison, shared by the hashing threads and the manifest.

/** Block size of the full sync's comparison. */
export const BLOCK = 128 * 1024;
/** Bytes of one block's hash (SHA-1). */
export const HASH_BYTES = 20;
