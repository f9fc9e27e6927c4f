/**
 * Builds the QQL filters the source sends. The user's filter is wrapped in parentheses so that an `or` inside it
 * cannot escape the conditions the source adds for paging.
 */
export function andFilters(...parts: Array<string | undefined | null | false>): string | undefined {
  const kept = parts.filter((p): p is string => typeof p === 'string' && p.trim().length > 0);
  if (kept.length === 0) return undefined;
  if (kept.length === 1) return kept[0];
  return kept.map((p) => (/\s(or|and)\s/i.test(p) ? `(${p})` : p)).join(' and ');
}

/** `not uuid: [a, b]`: the exclusion the Qualys bulk cursor itself uses for records already seen at a boundary. */
export function excludeValues(field: string, values: readonly string[]): string | undefined {
  if (values.length === 0) return undefined;
  return `not ${field}: [${values.join(', ')}]`;
}
