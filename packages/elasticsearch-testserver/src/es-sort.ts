import type { Hit } from './es-aggs.js';
import { EsError, fielddataDisabled, ShardFailure } from './es-errors.js';
import { fieldOf, indexed, kindOf, valuesAt } from './es-fields.js';

interface SortKey {
  field: string;
  desc: boolean;
  /** `_last` (the default), `_first`, or a value that stands for a missing one. */
  missing: unknown;
  mode: string | undefined;
  unmappedType: string | undefined;
}

const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

/** `sort` as the body gives it (a name, `{name: order}`, `{name: {order, missing, mode, unmapped_type}}`, or a list) or the `field:desc` query form. */
export function parseSort(sort: unknown): SortKey[] {
  const list = Array.isArray(sort) ? sort : typeof sort === 'string' ? sort.split(',') : [sort];
  return list.map((entry): SortKey => {
    if (typeof entry === 'string') {
      const [field = '', order] = entry.split(':');
      return { field, desc: order === undefined ? field === '_score' : order === 'desc', missing: '_last', mode: undefined, unmappedType: undefined };
    }
    const [field, spec] = isObject(entry) ? (Object.entries(entry)[0] ?? []) : [];
    if (field === undefined) throw new EsError(400, 'parsing_exception', `malformed sort [${JSON.stringify(entry)}]`);
    const options = isObject(spec) ? spec : { order: spec };
    const order = options['order'] === undefined ? (field === '_score' ? 'desc' : 'asc') : String(options['order']).toLowerCase();
    if (order !== 'asc' && order !== 'desc') throw new EsError(400, 'illegal_argument_exception', `Unknown SortOrder [${order}]`);
    return {
      field,
      desc: order === 'desc',
      missing: options['missing'] ?? '_last',
      mode: options['mode'] === undefined ? undefined : String(options['mode']),
      unmappedType: options['unmapped_type'] === undefined ? undefined : String(options['unmapped_type']),
    };
  });
}

type Value = number | string | null;

// Floating-point fields stand in for a missing value with ±Infinity, which the node writes as a string; the others
// with the extreme long (2^63 - 1, which JSON.parse rounds to 2^63 in the client as here).
const FLOATING = new Set(['float', 'half_float', 'double', 'scaled_float']);
const LONG_EXTREME = 2 ** 63;

interface Cell {
  value: Value;
  /** The mapping type the value came from, which decides how a stand-in for a missing value is written. */
  type: string | undefined;
}

/** What stands for a missing value: null for keywords, else the extreme that puts it last (or first) in this order. */
function missingValue(kind: string, key: SortKey): Value {
  if (key.missing !== '_last' && key.missing !== '_first') return key.missing as Value;
  if (kind === 'keyword' || kind === 'text' || kind === 'object') return null;
  return (key.missing === '_last') !== key.desc ? Number.POSITIVE_INFINITY : Number.NEGATIVE_INFINITY;
}

/** One hit's value for a sort key: by default the smallest of its values ascending, the largest descending. */
function sortValue(hit: Hit, key: SortKey): Cell {
  const field = fieldOf(hit.state.mappings, key.field);
  const type = field?.mapping.type ?? key.unmappedType;
  const kind = field?.kind ?? (key.unmappedType ? kindOf({ type: key.unmappedType }) : 'keyword');
  if (field?.kind === 'text' && field.mapping['fielddata'] !== true) throw fielddataDisabled(hit.state.backingIndex, key.field);
  const values = field
    ? valuesAt(hit.doc._source, field.sourcePath)
        .map((v) => indexed(field, v))
        .filter((v): v is number | string => v !== undefined)
    : [];
  if (values.length === 0) return { value: missingValue(kind, key), type };
  const mode = key.mode ?? (key.desc ? 'max' : 'min');
  if ((mode === 'sum' || mode === 'avg') && typeof values[0] === 'number') {
    const sum = (values as number[]).reduce((a, b) => a + b, 0);
    return { value: mode === 'sum' ? sum : sum / values.length, type };
  }
  return { value: values.reduce((a, b) => ((mode === 'max' ? b > a : b < a) ? b : a)), type };
}

/** A sort value as the node writes it in a hit. */
function rendered(cell: Cell): Value {
  if (typeof cell.value !== 'number' || Number.isFinite(cell.value)) return cell.value;
  if (FLOATING.has(cell.type ?? '')) return cell.value > 0 ? 'Infinity' : '-Infinity';
  return cell.value > 0 ? LONG_EXTREME : -LONG_EXTREME;
}

/** A search_after value back in sort terms: the stand-ins for missing values turn into the extremes again. */
function afterValue(v: unknown): Value {
  if (v === 'Infinity' || v === '-Infinity') return v === 'Infinity' ? Number.POSITIVE_INFINITY : Number.NEGATIVE_INFINITY;
  if (typeof v === 'number' && Math.abs(v) >= LONG_EXTREME) return v > 0 ? Number.POSITIVE_INFINITY : Number.NEGATIVE_INFINITY;
  return v as Value;
}

function compare(keys: SortKey[], a: Value[], b: Value[]): number {
  for (const [k, key] of keys.entries()) {
    const x = a[k] as Value;
    const y = b[k] as Value;
    if (x === y) continue;
    // A keyword without a value (null) goes last, or first with missing: _first, whatever the order.
    if (x === null || y === null) return (x === null ? 1 : -1) * (key.missing === '_first' ? -1 : 1);
    return (x < y ? -1 : 1) * (key.desc ? -1 : 1);
  }
  return 0;
}

/**
 * Sorts hits by the keys in turn, documents without a value last (or first, or as `missing`), ties in index order,
 * and gives each hit its `sort` values; with `after` (search_after) only the hits that sort after those values. A
 * field that no searched index maps fails the search, as on a node, unless `unmapped_type` is given.
 */
export function sortHits(keys: SortKey[], hits: Hit[], after?: unknown[]): Array<{ hit: Hit; sort: Value[] }> {
  for (const key of keys) {
    if (key.field === '_score' || key.field === '_doc' || key.unmappedType !== undefined) continue;
    const first = hits[0];
    if (first && !hits.some((h) => fieldOf(h.state.mappings, key.field)))
      throw new ShardFailure(first.state.backingIndex, {
        type: 'query_shard_exception',
        reason: `No mapping found for [${key.field}] in order to sort on`,
        index_uuid: first.state.uuid,
        index: first.state.backingIndex,
      });
  }
  if (after && after.length !== keys.length)
    throw new EsError(400, 'illegal_argument_exception', `search_after has ${after.length} value(s) but sort has ${keys.length}.`);
  const rows = hits.map((hit, i) => {
    const cells = keys.map(
      (key): Cell => (key.field === '_score' ? { value: 1, type: undefined } : key.field === '_doc' ? { value: i, type: undefined } : sortValue(hit, key)),
    );
    return { hit, i, values: cells.map((c) => c.value), sort: cells.map(rendered) };
  });
  const afterValues = after?.map(afterValue);
  const kept = afterValues ? rows.filter((row) => compare(keys, row.values, afterValues) > 0) : rows;
  kept.sort((a, b) => compare(keys, a.values, b.values) || a.i - b.i);
  return kept.map(({ hit, sort }) => ({ hit, sort }));
}
