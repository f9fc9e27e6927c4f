import { EsError } from './es-errors.js';
import type { StoredDoc } from './es-store.js';

type Query = Record<string, Record<string, unknown>> | undefined;

function valueAt(source: Record<string, unknown>, path: string): unknown[] {
  let values: unknown[] = [source];
  for (const segment of path.split('.')) {
    values = values.flatMap((v) => (Array.isArray(v) ? v : [v])).map((v) => (v !== null && typeof v === 'object' ? (v as Record<string, unknown>)[segment] : undefined)).filter((v) => v !== undefined);
  }
  return values.flatMap((v) => (Array.isArray(v) ? v : [v]));
}

/** The query subset tests need: match_all, ids, and term on a field (a `.keyword` suffix means the same field). */
export function matches(query: Query, doc: StoredDoc): boolean {
  if (!query || 'match_all' in query) return true;
  if ('ids' in query) return ((query['ids']?.['values'] as string[] | undefined) ?? []).includes(doc._id);
  if ('term' in query) {
    const [field, spec] = Object.entries(query['term'] ?? {})[0] ?? [];
    if (!field) return false;
    const wanted = spec !== null && typeof spec === 'object' ? (spec as { value?: unknown }).value : spec;
    if (field === '_id') return doc._id === wanted;
    return valueAt(doc._source, field.replace(/\.keyword$/, '')).some((v) => v === wanted);
  }
  throw new EsError(400, 'parsing_exception', `unknown query [${Object.keys(query)[0]}] (the test server supports match_all, ids and term)`);
}
