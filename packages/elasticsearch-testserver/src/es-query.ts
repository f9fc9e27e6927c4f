import { dateMathToMillis } from './es-date-math.js';
import { EsError } from './es-errors.js';
import { comparable, type Field, fieldOf, indexed, tokens, valuesAt } from './es-fields.js';
import type { FieldMapping } from './es-mappings.js';
import type { StoredDoc } from './es-store.js';

type Query = Record<string, unknown>;

/** What a query needs besides the document: the mapping of the document's index, and the request's `now` for date math. */
export interface QueryContext {
  mappings: FieldMapping | undefined;
  now: number;
}

const SUPPORTED = 'match_all, match_none, ids, term, terms, exists, range, match, match_phrase, constant_score and bool';
const asArray = (v: unknown): unknown[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);
const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);
const firstField = (body: Record<string, unknown>) => Object.entries(body).find(([k]) => k !== 'boost' && k !== '_name') ?? [];

/** A term compared as the field indexes it: dates and numbers by value, text by token, keywords exactly (or case-insensitively). */
function sameTerm(field: Field, value: unknown, wanted: unknown, caseInsensitive: boolean): boolean {
  if (field.kind === 'text') {
    const term = String(wanted);
    return tokens(String(value)).includes(caseInsensitive ? term.toLowerCase() : term);
  }
  const a = indexed(field, value);
  const b = indexed(field, wanted);
  if (a === undefined || b === undefined) return false;
  return caseInsensitive && typeof a === 'string' ? a.toLowerCase() === String(b).toLowerCase() : a === b;
}

/**
 * A terms query's values as the field indexes them, made once per query and field kind rather than per document: a
 * delete of the findings of 500 images checks every stored document against 500 terms, as a node does through its
 * index, not by comparing each pair.
 */
const termSets = new WeakMap<unknown[], Map<string, Set<number | string>>>();
function termSetOf(values: unknown[], field: Field): Set<number | string> {
  const key = `${field.kind}:${field.mapping.type ?? ''}`;
  let byField = termSets.get(values);
  if (!byField) {
    byField = new Map();
    termSets.set(values, byField);
  }
  let set = byField.get(key);
  if (!set) {
    set = new Set(values.map((w) => indexed(field, w)).filter((c): c is number | string => c !== undefined));
    byField.set(key, set);
  }
  return set;
}

/** The values a document has for a field its index maps; undefined for an unmapped field, which no query matches. */
function valuesOf(doc: StoredDoc, ctx: QueryContext, path: string): { field: Field; values: unknown[] } | undefined {
  const field = fieldOf(ctx.mappings, path);
  return field ? { field, values: valuesAt(doc._source, field.sourcePath) } : undefined;
}

interface Bounds {
  lower?: number | string;
  lowerInclusive: boolean;
  upper?: number | string;
  upperInclusive: boolean;
}

const KNOWN_DATE_FORMATS = new Set([
  'strict_date_optional_time',
  'date_optional_time',
  'strict_date_optional_time_nanos',
  'strict_date_time',
  'date_time',
  'strict_date_time_no_millis',
  'date_time_no_millis',
  'epoch_millis',
  'epoch_second',
]);

/** A range's bounds in the field's terms: date math for dates (rounded by how each bound is used), numbers for numbers. */
function boundsOf(field: Field, spec: Record<string, unknown>, now: number): Bounds {
  const format = spec['format'] === undefined ? undefined : String(spec['format']);
  const formats = format?.split('||').map((f) => f.trim()) ?? [];
  if (formats.some((f) => !KNOWN_DATE_FORMATS.has(f)))
    throw new EsError(400, 'parsing_exception', `[range] format [${format}] is not one the test server reads (${[...KNOWN_DATE_FORMATS].join(', ')})`);
  const zone = spec['time_zone'];
  if (zone !== undefined && !['Z', 'UTC', '+00:00', 'Etc/UTC'].includes(String(zone)))
    throw new EsError(400, 'parsing_exception', `[range] time_zone [${String(zone)}]: the test server computes dates in UTC only`);
  const epochSeconds = formats.includes('epoch_second') && !formats.includes('epoch_millis');
  const convert = (value: unknown, roundUp: boolean): number | string => {
    if (field.kind === 'date') return dateMathToMillis(value, now, roundUp, epochSeconds);
    if (field.kind === 'number') {
      const n = typeof value === 'number' ? value : Number(String(value).trim() === '' ? Number.NaN : value);
      if (Number.isNaN(n))
        throw new EsError(400, 'query_shard_exception', `failed to create query: For input string: "${String(value)}"`, { index_uuid: '_na_' });
      return n;
    }
    return comparable(field.kind, value) ?? String(value);
  };
  const bounds: Bounds = { lowerInclusive: true, upperInclusive: true };
  // from/to with include_lower/include_upper are the older spelling of the same bounds.
  const legacyLower = spec['from'] ?? undefined;
  const legacyUpper = spec['to'] ?? undefined;
  if (spec['gte'] !== undefined && spec['gte'] !== null) bounds.lower = convert(spec['gte'], false);
  else if (spec['gt'] !== undefined && spec['gt'] !== null) [bounds.lower, bounds.lowerInclusive] = [convert(spec['gt'], true), false];
  else if (legacyLower !== undefined && legacyLower !== null)
    [bounds.lower, bounds.lowerInclusive] = spec['include_lower'] === false ? [convert(legacyLower, true), false] : [convert(legacyLower, false), true];
  if (spec['lte'] !== undefined && spec['lte'] !== null) bounds.upper = convert(spec['lte'], true);
  else if (spec['lt'] !== undefined && spec['lt'] !== null) [bounds.upper, bounds.upperInclusive] = [convert(spec['lt'], false), false];
  else if (legacyUpper !== undefined && legacyUpper !== null)
    [bounds.upper, bounds.upperInclusive] = spec['include_upper'] === false ? [convert(legacyUpper, false), false] : [convert(legacyUpper, true), true];
  return bounds;
}

const within = (v: number | string, b: Bounds) =>
  (b.lower === undefined || (b.lowerInclusive ? v >= b.lower : v > b.lower)) && (b.upper === undefined || (b.upperInclusive ? v <= b.upper : v < b.upper));

/** match and match_phrase: analysed text by token (any, all with operator: and, or in sequence for a phrase); every other field by its value. */
function matchQuery(doc: StoredDoc, ctx: QueryContext, body: Record<string, unknown>, phrase: boolean): boolean {
  const [path, spec] = firstField(body);
  if (path === undefined) return false;
  const found = valuesOf(doc, ctx, path);
  if (!found) return false;
  const query = isObject(spec) ? spec['query'] : spec;
  if (found.field.kind !== 'text') return found.values.some((v) => sameTerm(found.field, v, query, false));
  const wanted = tokens(String(query));
  if (wanted.length === 0) return false;
  return found.values.some((v) => {
    const have = tokens(String(v));
    if (phrase) return have.some((_, i) => wanted.every((w, j) => have[i + j] === w));
    const all = isObject(spec) && String(spec['operator'] ?? 'or').toLowerCase() === 'and';
    return all ? wanted.every((w) => have.includes(w)) : wanted.some((w) => have.includes(w));
  });
}

/** minimum_should_match as a count: a number (negative: all but that many) or a percentage of the should clauses. */
function minimumShouldMatch(spec: unknown, clauses: number, fallback: number): number {
  if (spec === undefined || spec === null) return fallback;
  const text = String(spec).trim();
  const percent = text.endsWith('%');
  const n = Number(percent ? text.slice(0, -1) : text);
  if (Number.isNaN(n)) throw new EsError(400, 'parsing_exception', `[bool] minimum_should_match [${text}] is not a number or a percentage`);
  const count = percent ? Math.trunc((clauses * n) / 100) : Math.trunc(n);
  return count < 0 ? Math.max(0, clauses + count) : count;
}

/**
 * Whether a document matches a query, with the document's index's mapping: a field the index does not map matches
 * nothing, dates and numbers compare by value, text by token. The subset: see SUPPORTED; anything else is refused.
 */
export function matches(query: Query | undefined, doc: StoredDoc, ctx: QueryContext): boolean {
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
    case 'term':
    case 'terms': {
      const [path, value] = firstField(body);
      if (path === undefined) return false;
      const wanted = kind === 'terms' ? asArray(value) : [isObject(value) ? value['value'] : value];
      if (path === '_id') return wanted.map(String).includes(doc._id);
      const caseInsensitive = kind === 'term' && isObject(value) && value['case_insensitive'] === true;
      const found = valuesOf(doc, ctx, path);
      if (!found) return false;
      if (kind === 'terms' && found.field.kind !== 'text' && Array.isArray(value)) {
        const set = termSetOf(value, found.field);
        return found.values.some((v) => {
          const c = indexed(found.field, v);
          return c !== undefined && set.has(c);
        });
      }
      return found.values.some((v) => wanted.some((w) => sameTerm(found.field, v, w, caseInsensitive)));
    }
    case 'exists': {
      const found = valuesOf(doc, ctx, String(body['field']));
      return !!found && found.values.length > 0;
    }
    case 'range': {
      const [path, rangeSpec] = firstField(body);
      const found = path === undefined ? undefined : valuesOf(doc, ctx, path);
      if (!found || !isObject(rangeSpec)) return false;
      const bounds = boundsOf(found.field, rangeSpec, ctx.now);
      return found.values.some((v) => {
        if (found.field.kind === 'text') return tokens(String(v)).some((t) => within(t, bounds));
        const c = indexed(found.field, v);
        return c !== undefined && within(c, bounds);
      });
    }
    case 'match':
    case 'match_phrase':
      return matchQuery(doc, ctx, body, kind === 'match_phrase');
    case 'constant_score':
      return matches(body['filter'] as Query, doc, ctx);
    case 'bool': {
      const all = (key: string) => asArray(body[key]).every((q) => matches(q as Query, doc, ctx));
      const should = asArray(body['should']);
      // Kibana sends empty must and filter arrays: only clauses count, so should then needs one match.
      const scoring = asArray(body['must']).length > 0 || asArray(body['filter']).length > 0;
      const needed = minimumShouldMatch(body['minimum_should_match'], should.length, scoring ? 0 : should.length > 0 ? 1 : 0);
      const shouldMatched = should.filter((q) => matches(q as Query, doc, ctx)).length;
      return all('must') && all('filter') && !asArray(body['must_not']).some((q) => matches(q as Query, doc, ctx)) && shouldMatched >= needed;
    }
  }
  throw new EsError(400, 'parsing_exception', `unknown query [${kind}] (the test server supports ${SUPPORTED})`, { line: 1, col: 1 });
}
