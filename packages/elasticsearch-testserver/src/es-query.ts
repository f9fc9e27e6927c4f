import { EsError } from './es-errors.js';
import type { StoredDoc } from './es-store.js';

type Query = Record<string, unknown>;

/** Every value at a dotted path, looking through arrays of objects as the index does. */
function valuesAt(source: Record<string, unknown>, path: string): unknown[] {
  let values: unknown[] = [source];
  for (const segment of path.split('.')) {
    values = values
      .flatMap((v) => (Array.isArray(v) ? v : [v]))
      .map((v) => (v !== null && typeof v === 'object' ? (v as Record<string, unknown>)[segment] : undefined))
      .filter((v) => v !== undefined);
  }
  return values.flatMap((v) => (Array.isArray(v) ? v : [v])).filter((v) => v !== null);
}

// A keyword holds 3 and "3" as the same term, so terms compare as text. `.keyword` names the same value.
const fieldValues = (doc: StoredDoc, field: string) => (field === '_id' ? [doc._id] : valuesAt(doc._source, field.replace(/\.keyword$/, '')));
const sameTerm = (a: unknown, b: unknown) => a === b || (typeof a !== 'object' && typeof b !== 'object' && String(a) === String(b));
const asArray = (v: unknown): unknown[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);
const unwrap = (spec: unknown) => (spec !== null && typeof spec === 'object' && 'value' in spec ? (spec as { value: unknown }).value : spec);

/** The query subset tests need: match_all, match_none, ids, term, terms, exists, and bool of those. */
export function matches(query: Query | undefined, doc: StoredDoc): boolean {
  if (!query) return true;
  const [kind, spec] = Object.entries(query)[0] ?? [];
  if (kind === undefined) return true;
  const body = (spec ?? {}) as Record<string, unknown>;
  switch (kind) {
    case 'match_all':
      return true;
    case 'match_none':
      return false;
    case 'ids':
      return asArray(body['values']).map(String).includes(doc._id);
    case 'term': {
      const [field, value] = Object.entries(body)[0] ?? [];
      return field !== undefined && fieldValues(doc, field).some((v) => sameTerm(v, unwrap(value)));
    }
    case 'terms': {
      const [field, values] = Object.entries(body).find(([k]) => k !== 'boost') ?? [];
      return field !== undefined && fieldValues(doc, field).some((v) => asArray(values).some((w) => sameTerm(v, w)));
    }
    case 'exists':
      return fieldValues(doc, String(body['field'])).length > 0;
    case 'bool': {
      const all = (key: string) => asArray(body[key]).every((q) => matches(q as Query, doc));
      const should = asArray(body['should']);
      const needed = Number(body['minimum_should_match'] ?? (body['must'] || body['filter'] ? 0 : should.length > 0 ? 1 : 0));
      const shouldMatched = should.filter((q) => matches(q as Query, doc)).length;
      return all('must') && all('filter') && !asArray(body['must_not']).some((q) => matches(q as Query, doc)) && shouldMatched >= needed;
    }
  }
  throw new EsError(400, 'parsing_exception', `unknown query [${kind}] (the test server supports match_all, match_none, ids, term, terms, exists and bool)`, {
    line: 1,
    col: 1,
  });
}
