import type { Hit } from './es-aggs.js';
import { EsError, fielddataDisabled, ShardFailure } from './es-errors.js';
import { fieldOf, indexed, valuesAt } from './es-fields.js';

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

/** One hit's value for a sort key: by default the smallest of its values ascending, the largest descending. */
function sortValue(hit: Hit, key: SortKey): Value {
  const field = fieldOf(hit.state.mappings, key.field);
  if (!field) return null;
  if (field.kind === 'text' && field.mapping['fielddata'] !== true) throw fielddataDisabled(hit.state.backingIndex, key.field);
  const values = valuesAt(hit.doc._source, field.sourcePath)
    .map((v) => indexed(field, v))
    .filter((v): v is number | string => v !== undefined);
  if (values.length === 0) return null;
  const mode = key.mode ?? (key.desc ? 'max' : 'min');
  if ((mode === 'sum' || mode === 'avg') && typeof values[0] === 'number') {
    const sum = (values as number[]).reduce((a, b) => a + b, 0);
    return mode === 'sum' ? sum : sum / values.length;
  }
  return values.reduce((a, b) => ((mode === 'max' ? b > a : b < a) ? b : a));
}

/**
 * Sorts hits by the keys in turn, documents without a value last (or first, or as `missing`), ties in index order,
 * and gives each hit its `sort` values. A field that no searched index maps fails the search, as on a node, unless
 * `unmapped_type` is given.
 */
export function sortHits(keys: SortKey[], hits: Hit[]): Array<{ hit: Hit; sort: Value[] }> {
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
  const rows = hits.map((hit, i) => ({
    hit,
    i,
    sort: keys.map((key): Value => (key.field === '_score' ? 1 : key.field === '_doc' ? i : sortValue(hit, key))),
  }));
  rows.sort((a, b) => {
    for (const [k, key] of keys.entries()) {
      let x = a.sort[k] as Value;
      let y = b.sort[k] as Value;
      if (x === null && key.missing !== '_last' && key.missing !== '_first') x = key.missing as Value;
      if (y === null && key.missing !== '_last' && key.missing !== '_first') y = key.missing as Value;
      if (x === y) continue;
      // Missing values go last (or first) whatever the order, as `missing: _last` puts them.
      if (x === null || y === null) return (x === null ? 1 : -1) * (key.missing === '_first' ? -1 : 1);
      return (x < y ? -1 : 1) * (key.desc ? -1 : 1);
    }
    return a.i - b.i;
  });
  return rows.map(({ hit, sort }) => ({ hit, sort }));
}
