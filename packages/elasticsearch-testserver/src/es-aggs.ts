import { EsError, fielddataDisabled, ShardFailure } from './es-errors.js';
import { comparable, type Field, type FieldKind, fieldOf, indexed, valuesAt } from './es-fields.js';
import { matches } from './es-query.js';
import type { IndexState, StoredDoc } from './es-store.js';

/** A matched document and the index it is in (whose mapping says how its fields read). */
export interface Hit {
  doc: StoredDoc;
  state: IndexState;
}

type Spec = Record<string, unknown>;
type Result = Record<string, unknown>;

const SUPPORTED = 'filters, filter, terms (with bucket_sort inside), value_count, cardinality, max, min, sum and avg';
const isObject = (v: unknown): v is Spec => v !== null && typeof v === 'object' && !Array.isArray(v);

/**
 * A doc-values field of a hit: its kind and the values it indexes, distinct and comparable (epoch millis for
 * dates). Undefined when the hit's index does not map the field; a text field without fielddata fails the search.
 */
function docValues(hit: Hit, path: string): { field: Field; values: Array<number | string> } | undefined {
  const field = fieldOf(hit.state.mappings, path);
  if (!field) return undefined;
  if (field.kind === 'text' && field.mapping['fielddata'] !== true) throw fielddataDisabled(hit.state.backingIndex, path);
  const values = valuesAt(hit.doc._source, field.sourcePath)
    .map((v) => indexed(field, v))
    .filter((v): v is number | string => v !== undefined);
  // Keyword doc values are a sorted set (each term once per document); numbers and dates keep every value.
  return { field, values: field.kind === 'keyword' || field.kind === 'text' ? [...new Set(values)] : values };
}

/** A bucket key as a node renders it: dates and booleans get a key_as_string beside the number. */
function keyOf(kind: FieldKind, key: number | string): Result {
  if (kind === 'date') return { key, key_as_string: new Date(key as number).toISOString() };
  if (kind === 'boolean') return { key, key_as_string: key === 1 ? 'true' : 'false' };
  return { key };
}

const isPipeline = (spec: unknown) => isObject(spec) && spec['bucket_sort'] !== undefined;

/** A bucket's own sub-aggregations; pipeline ones (bucket_sort) act on the parent's buckets instead, see termsAgg. */
function subAggs(spec: Spec): Spec | undefined {
  const sub = spec['aggs'] ?? spec['aggregations'];
  if (!isObject(sub)) return undefined;
  const own = Object.entries(sub).filter(([, s]) => !isPipeline(s));
  return own.length > 0 ? Object.fromEntries(own) : undefined;
}

function bucketSorts(spec: Spec): Spec[] {
  const sub = spec['aggs'] ?? spec['aggregations'];
  return isObject(sub)
    ? Object.values(sub)
        .filter(isPipeline)
        .map((s) => (s as Spec)['bucket_sort'] as Spec)
    : [];
}

const bucketOf = (hits: Hit[], sub: Spec | undefined, now: number): Result => ({ doc_count: hits.length, ...(sub ? aggregate(sub, hits, now) : {}) });

function filtersAgg(body: Spec, hits: Hit[], sub: Spec | undefined, now: number): Result {
  const filters = body['filters'];
  const named = isObject(filters);
  // Named filters come back sorted by name, as the node sorts them; the other bucket comes last.
  const entries: Array<[string, unknown]> = named
    ? Object.entries(filters).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    : (Array.isArray(filters) ? filters : []).map((q, i) => [String(i), q]);
  const otherKey = body['other_bucket_key'] === undefined ? undefined : String(body['other_bucket_key']);
  const withOther = body['other_bucket'] === true || otherKey !== undefined;
  const inSome = new Set<Hit>();
  const buckets: Array<[string, Result]> = entries.map(([key, query]) => {
    const inBucket = hits.filter((h) => matches(query as Spec, h.doc, { mappings: h.state.mappings, now }));
    for (const h of inBucket) inSome.add(h);
    return [key, bucketOf(inBucket, sub, now)];
  });
  if (withOther)
    buckets.push([
      otherKey ?? '_other_',
      bucketOf(
        hits.filter((h) => !inSome.has(h)),
        sub,
        now,
      ),
    ]);
  if (named && body['keyed'] !== false) return { buckets: Object.fromEntries(buckets) };
  return { buckets: buckets.map(([key, b]) => (named ? { key, ...b } : b)) };
}

interface Order {
  by: string;
  desc: boolean;
}

function ordersOf(order: unknown): Order[] {
  const list = order === undefined ? [{ _count: 'desc' }] : Array.isArray(order) ? order : [order];
  const orders = list.flatMap((o) => Object.entries(o as Spec).map(([by, dir]) => ({ by, desc: String(dir).toLowerCase() === 'desc' })));
  // Ties are broken by key, ascending, as the node breaks them.
  return orders.some((o) => o.by === '_key') ? orders : [...orders, { by: '_key', desc: false }];
}

/** A bucket's value for an order: its count, its key, or a single-value sub-aggregation (`name` or `name.value`). */
function orderValue(bucket: { key: number | string; count: number; result: Result }, by: string): number | string {
  if (by === '_count') return bucket.count;
  if (by === '_key') return bucket.key;
  const [name, prop = 'value'] = by.split('.');
  const value = (bucket.result[name as string] as Result | undefined)?.[prop];
  if (value === undefined) throw new EsError(400, 'aggregation_execution_exception', `Invalid aggregation order path [${by}]`);
  return (value ?? Number.NEGATIVE_INFINITY) as number;
}

function sortBuckets<B extends { key: number | string; count: number; result: Result }>(buckets: B[], orders: Order[]): B[] {
  return buckets.sort((a, b) => {
    for (const { by, desc } of orders) {
      const x = orderValue(a, by);
      const y = orderValue(b, by);
      if (x !== y) return (x < y ? -1 : 1) * (desc ? -1 : 1);
    }
    return 0;
  });
}

/** bucket_sort: sorts the buckets the parent returns (not all it found) by its `sort`, then keeps `from`..`from + size`. */
function bucketSort<B extends { key: number | string; count: number; result: Result }>(buckets: B[], spec: Spec): B[] {
  const sort = spec['sort'] === undefined ? [] : Array.isArray(spec['sort']) ? spec['sort'] : [spec['sort']];
  const orders = sort.flatMap((o): Order[] =>
    typeof o === 'string'
      ? [{ by: o, desc: false }]
      : Object.entries(o as Spec).map(([by, dir]) => ({ by, desc: String(isObject(dir) ? dir['order'] : dir).toLowerCase() === 'desc' })),
  );
  const sorted = orders.length > 0 ? sortBuckets([...buckets], orders) : buckets;
  const from = Number(spec['from'] ?? 0);
  return sorted.slice(from, spec['size'] === undefined ? undefined : from + Number(spec['size']));
}

function termsAgg(body: Spec, hits: Hit[], sub: Spec | undefined, now: number, pipelines: Spec[]): Result {
  const path = String(body['field']);
  const size = Number(body['size'] ?? 10);
  const minDocCount = Number(body['min_doc_count'] ?? 1);
  const groups = new Map<number | string, Hit[]>();
  let kind: FieldKind = 'keyword';
  for (const hit of hits) {
    const found = docValues(hit, path);
    let values = found?.values ?? [];
    if (found) kind = found.field.kind;
    if (values.length === 0 && body['missing'] !== undefined) values = [comparable(kind, body['missing']) ?? String(body['missing'])];
    for (const value of new Set(values)) groups.set(value, [...(groups.get(value) ?? []), hit]);
  }
  const buckets = [...groups]
    .filter(([, inBucket]) => inBucket.length >= minDocCount)
    .map(([key, inBucket]) => ({ key, count: inBucket.length, result: { ...keyOf(kind, key), ...bucketOf(inBucket, sub, now) } }));
  sortBuckets(buckets, ordersOf(body['order']));
  let shown = buckets.slice(0, size);
  // Counted before any bucket_sort: what it drops is not "other", as on a node.
  const other = buckets.slice(size).reduce((sum, b) => sum + b.count, 0);
  for (const pipeline of pipelines) shown = bucketSort(shown, pipeline);
  return { doc_count_error_upper_bound: 0, sum_other_doc_count: other, buckets: shown.map((b) => b.result) };
}

/** value_count, cardinality, max, min, sum, avg over a field's doc values. */
function metricAgg(type: string, body: Spec, hits: Hit[]): Result {
  const path = String(body['field']);
  const values: Array<number | string> = [];
  let kind: FieldKind | undefined;
  for (const hit of hits) {
    const found = docValues(hit, path);
    if (!found) continue;
    kind = found.field.kind;
    if (type !== 'value_count' && type !== 'cardinality' && (kind === 'keyword' || kind === 'text'))
      throw new ShardFailure(hit.state.backingIndex, {
        type: 'illegal_argument_exception',
        reason: `Field [${path}] of type [${found.field.mapping.type}] is not supported for aggregation [${type}]`,
      });
    values.push(...found.values);
  }
  if (type === 'value_count') return { value: values.length };
  if (type === 'cardinality') return { value: new Set(values).size };
  const numbers = values as number[];
  const value =
    numbers.length === 0
      ? type === 'sum'
        ? 0
        : null
      : type === 'max'
        ? Math.max(...numbers)
        : type === 'min'
          ? Math.min(...numbers)
          : type === 'sum'
            ? numbers.reduce((a, b) => a + b, 0)
            : numbers.reduce((a, b) => a + b, 0) / numbers.length;
  return kind === 'date' && value !== null && (type === 'max' || type === 'min') ? { value, value_as_string: new Date(value).toISOString() } : { value };
}

/**
 * The aggregations of a search over every matched document (not only the page), in the shape a node answers:
 * `{ <name>: { buckets | value, ... } }`, sub-aggregations inside each bucket. Refuses a type it does not know.
 */
export function aggregate(aggs: Spec, hits: Hit[], now: number): Result {
  const out: Result = {};
  for (const [name, raw] of Object.entries(aggs)) {
    const spec = isObject(raw) ? raw : {};
    const types = Object.keys(spec).filter((k) => k !== 'aggs' && k !== 'aggregations' && k !== 'meta');
    const type = types[0];
    if (types.length !== 1 || type === undefined)
      throw new EsError(400, 'parsing_exception', `Expected one aggregation type under [${name}], found [${types.join(', ')}]`);
    const body = isObject(spec[type]) ? (spec[type] as Spec) : {};
    const sub = subAggs(spec);
    if (type !== 'terms' && bucketSorts(spec).length > 0)
      throw new EsError(400, 'illegal_argument_exception', `[${name}]: the test server runs bucket_sort under a terms aggregation only`);
    let result: Result;
    if (type === 'filters') result = filtersAgg(body, hits, sub, now);
    else if (type === 'filter')
      result = bucketOf(
        hits.filter((h) => matches(body, h.doc, { mappings: h.state.mappings, now })),
        sub,
        now,
      );
    else if (type === 'terms') result = termsAgg(body, hits, sub, now, bucketSorts(spec));
    else if (type === 'bucket_sort')
      throw new EsError(
        400,
        'action_request_validation_exception',
        `Validation Failed: 1: bucket_sort aggregation [${name}] must be declared inside of another aggregation;`,
      );
    else if (['value_count', 'cardinality', 'max', 'min', 'sum', 'avg'].includes(type)) result = metricAgg(type, body, hits);
    else throw new EsError(400, 'parsing_exception', `Unknown aggregation type [${type}] (the test server supports ${SUPPORTED})`);
    out[name] = spec['meta'] === undefined ? result : { meta: spec['meta'], ...result };
  }
  return out;
}
