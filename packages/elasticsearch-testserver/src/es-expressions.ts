import type { IndexState } from './es-index-state.js';

/** A `*` pattern as a regular expression over whole names. */
export const glob = (pattern: string) =>
  new RegExp(
    `^${pattern
      .split('*')
      .map((p) => p.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
      .join('.*')}$`,
  );

const isWildcard = (part: string) => part === '_all' || part.includes('*');

/** What an index expression names: the indices it resolves to, and the parts that named nothing. */
export interface Resolution {
  states: IndexState[];
  /** Plain names (no wildcard) that are no index, data stream, backing index or alias. */
  missing: string[];
  /** Wildcards that matched nothing: not an error unless allow_no_indices=false. */
  unmatched: string[];
}

/**
 * Resolves an index expression as a node does for a search: a comma list of names, `*` wildcards and `_all`, each
 * an index, a data stream, a backing index or an alias (which stands for every index it points to); a `-pattern`
 * after the first part takes matches away again. Each index is named once, however many parts reach it, so a
 * search through an alias and its index does not see a document twice.
 */
export function resolveExpression(indices: Iterable<IndexState>, expression: string): Resolution {
  const all = [...indices];
  const out = new Set<IndexState>();
  const missing: string[] = [];
  const unmatched: string[] = [];
  const parts = expression
    .split(',')
    .map((p) => p.trim())
    .filter((p) => p !== '');
  for (const [i, part] of parts.entries()) {
    if (i > 0 && part.startsWith('-')) {
      for (const state of matchPart(all, part.slice(1))) out.delete(state);
      continue;
    }
    const found = matchPart(all, part);
    if (found.length === 0) (isWildcard(part) ? unmatched : missing).push(part);
    for (const state of found) out.add(state);
  }
  return { states: [...out], missing, unmatched };
}

function matchPart(all: IndexState[], part: string): IndexState[] {
  if (isWildcard(part)) {
    const re = glob(part === '_all' ? '*' : part);
    // A backing index (.ds-…) is hidden: only a pattern that starts with a dot reaches it by that name.
    const backingToo = part.startsWith('.');
    return all.filter((s) => re.test(s.name) || (backingToo && re.test(s.backingIndex)) || [...s.aliases.keys()].some((a) => re.test(a)));
  }
  const direct = all.find((s) => s.name === part) ?? all.find((s) => s.backingIndex === part);
  if (direct) return [direct];
  return all.filter((s) => s.aliases.has(part));
}
