import { glob } from './es-expressions.js';

type Source = Record<string, unknown>;

const isObject = (v: unknown): v is Source => v !== null && typeof v === 'object' && !Array.isArray(v);
const list = (v: unknown): string[] => (v === undefined || v === null ? [] : Array.isArray(v) ? v.map(String) : String(v).split(','));

/** What `_source` asks for: nothing (false), everything (true or absent), or fields by pattern to include and exclude. */
export interface SourceFilter {
  fetch: boolean;
  includes: RegExp[];
  excludes: RegExp[];
}

/** `_source` of a search body (false, a pattern, a list, or { includes, excludes }), with `_source_includes`/`_source_excludes` from the query. */
export function sourceFilterOf(spec: unknown, query: URLSearchParams): SourceFilter {
  if (spec === false || spec === 'false') return { fetch: false, includes: [], excludes: [] };
  const body = isObject(spec) ? spec : { includes: spec === true || spec === 'true' || spec === undefined ? undefined : spec };
  const includes = [...list(body['includes'] ?? body['include']), ...list(query.get('_source_includes') ?? undefined)];
  const excludes = [...list(body['excludes'] ?? body['exclude']), ...list(query.get('_source_excludes') ?? undefined)];
  return { fetch: true, includes: includes.map(glob), excludes: excludes.map(glob) };
}

/**
 * The part of a document's _source a filter keeps, as a node filters it: a field is kept when its dotted path (or
 * the path of an object holding it) matches an include, and dropped when it matches an exclude.
 */
export function filterSource(source: Source, filter: SourceFilter): Source {
  if (filter.includes.length === 0 && filter.excludes.length === 0) return source;
  const walk = (obj: Source, prefix: string, included: boolean): Source => {
    const out: Source = {};
    for (const [key, value] of Object.entries(obj)) {
      const path = prefix === '' ? key : `${prefix}.${key}`;
      if (filter.excludes.some((re) => re.test(path))) continue;
      const here = included || filter.includes.length === 0 || filter.includes.some((re) => re.test(path));
      if (isObject(value)) {
        const inner = walk(value, path, here);
        if (here || Object.keys(inner).length > 0) out[key] = inner;
      } else if (Array.isArray(value) && value.some(isObject)) {
        const items = value
          .map((item) => (isObject(item) ? walk(item, path, here) : item))
          .filter((item) => here || (isObject(item) && Object.keys(item).length > 0));
        if (here || items.length > 0) out[key] = items;
      } else if (here) out[key] = value;
    }
    return out;
  };
  return walk(source, '', false);
}
