// Relative paths of a replicated tree ("a/b/c"), as the FUSE layer and the replication name entries.

/** `path` is `root` itself or an entry beneath it. */
export function isWithin(path: string, root: string): boolean {
  return path === root || path.startsWith(`${root}/`);
}
