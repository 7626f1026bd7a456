// The replication filter of one replicated directory (docs/replication-filters.md), as a pure
// function of the relative path. The replication layer asks it for every name it would send.

import type { ReplicatedDir } from '../shared/config.js';

export type DirDecision = 'replicated' | 'excluded' | 'when-needed';
export type RenameEffect = 'rename' | 'send-as-new' | 'delete-on-secondary' | 'nothing';

export interface ReplicationFilter {
  /** Whether a file (any non-directory) at this relative path is replicated. */
  file(rel: string): boolean;
  /** Directories under "!" rules that do not match themselves are created only when needed. */
  directory(rel: string): DirDecision;
  /** What the secondary must do when a name moves from `from` to `to`. */
  rename(from: string, to: string): RenameEffect;
  /** Some path is excluded (a rename or a new name may cross the boundary). */
  readonly hasRules: boolean;
  /** There are "!" rules: directories may be 'when-needed'. */
  readonly replicateOnly: boolean;
}

/** No rule: everything is replicated. */
export const EVERYTHING: ReplicationFilter = {
  file: () => true, directory: () => 'replicated', rename: () => 'rename', hasRules: false, replicateOnly: false,
};

export function replicationFilter(dir: ReplicatedDir): ReplicationFilter {
  const excludeRe = dir.excludeRegex.map((r) => new RegExp(r.js));
  const onlyRe = dir.includeOnlyRegex.map((r) => new RegExp(r.js));
  const clean = (rel: string): string => rel.replace(/^\.?\/+/, '').replace(/\/+$/, '');
  const ancestry = (rel: string): string[] => {
    const parts = clean(rel).split('/');
    return parts.map((_, i) => parts.slice(0, i + 1).join('/'));
  };
  const excluded = (rel: string): boolean => ancestry(rel).some((p) =>
    dir.notreplicatedPaths.some((x) => p === x) || excludeRe.some((re) => re.test(p)));
  const file = (rel: string): boolean => !excluded(rel) && (onlyRe.length === 0 || onlyRe.some((re) => re.test(clean(rel))));
  const directory = (rel: string): DirDecision => {
    if (excluded(rel)) return 'excluded';
    if (onlyRe.length === 0 || onlyRe.some((re) => re.test(clean(rel)))) return 'replicated';
    return 'when-needed';
  };
  return {
    file,
    directory,
    hasRules: dir.notreplicatedPaths.length + excludeRe.length + onlyRe.length > 0,
    replicateOnly: onlyRe.length > 0,
    rename(from, to) {
      const a = file(from);
      const b = file(to);
      if (a && b) return 'rename';
      if (!a && b) return 'send-as-new';
      if (a && !b) return 'delete-on-secondary';
      return 'nothing';
    },
  };
}
