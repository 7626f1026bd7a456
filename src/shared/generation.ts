// Data generations (DESIGN §5): who holds the newest copy of a mirror module's replicated data.
//
// A generation is the id of the copy's current lineage step plus the ids it descends from (newest
// first, bounded). A node mints a new id the moment it starts writing alone (it lost, or never had,
// its secondary) and before it accepts a write alone. A secondary that finishes resynchronisation
// adopts its primary's generation. Comparing two generations then tells, without clocks:
//   equal      same id: same data (in sync when they last parted)
//   behind     my id is in the peer's history: the peer wrote after we parted; I must not lead
//   ahead      the peer's id is in my history
//   divergent  both moved on from a common ancestor: both wrote alone (split brain or forced prim)
//   unrelated  no common id within the bounded history, or a copy never initialised

export interface Generation {
  /** Null when the copy is untrusted: never synchronised since (re)configuration. */
  readonly current: string | null;
  /** Ancestors of `current`, newest first, at most HISTORY_LIMIT entries. */
  readonly history: readonly string[];
}

export type GenerationRelation = 'equal' | 'behind' | 'ahead' | 'divergent' | 'unrelated';

export const HISTORY_LIMIT = 16;

export const UNTRUSTED_GENERATION: Generation = { current: null, history: [] };

/** The relation of `mine` to `theirs`, read as "mine is <relation> theirs". */
export function compareGenerations(mine: Generation, theirs: Generation): GenerationRelation {
  if (mine.current === null || theirs.current === null) return 'unrelated';
  if (mine.current === theirs.current) return 'equal';
  if (theirs.history.includes(mine.current)) return 'behind';
  if (mine.history.includes(theirs.current)) return 'ahead';
  const common = mine.history.some((id) => theirs.history.includes(id));
  return common ? 'divergent' : 'unrelated';
}

/** A new lineage step on top of `gen`, with the given fresh id. */
export function advanceGeneration(gen: Generation, id: string): Generation {
  const history = gen.current === null ? [...gen.history] : [gen.current, ...gen.history];
  return { current: id, history: history.slice(0, HISTORY_LIMIT) };
}

export function sameGeneration(a: Generation, b: Generation): boolean {
  return a.current === b.current;
}
