import { type BulkAction, type Op, tokenOf } from './es-bulk-parse.js';
import { aggregate, type Hit } from './es-aggs.js';
import { applyAction, type ItemFaults } from './es-bulk.js';
import { EsError, indexNotFound } from './es-errors.js';
import { ok, type Reply } from './es-http.js';
import { matches } from './es-query.js';
import type { Context, EsRequest, Route } from './es-router.js';
import { targets } from './es-routes-indices.js';
import { parseSort, sortHits } from './es-sort.js';
import { filterSource, sourceFilterOf } from './es-source-filter.js';

const SHARDS = { total: 1, successful: 1, failed: 0 };
// Faults are for bulk items; the single-document APIs are answered as they come.
const NO_FAULTS: ItemFaults = { itemError: () => undefined };
const MAX_RESULT_WINDOW = 10_000;

type SearchBody = {
  query?: Record<string, unknown>;
  size?: number;
  from?: number;
  track_total_hits?: boolean | number;
  _source?: unknown;
  sort?: unknown;
  search_after?: unknown[];
  version?: boolean;
  seq_no_primary_term?: boolean;
  aggs?: Record<string, unknown>;
  aggregations?: Record<string, unknown>;
};

const SEARCH_KEYS = new Set([
  'query',
  'size',
  'from',
  'sort',
  'search_after',
  'aggs',
  'aggregations',
  '_source',
  'track_total_hits',
  'version',
  'seq_no_primary_term',
  // Accepted and without effect here: one shard answers at once, and scores are not computed.
  'timeout',
  'track_scores',
]);
const UNSUPPORTED_KEYS = new Set([
  'runtime_mappings',
  'post_filter',
  'collapse',
  'highlight',
  'fields',
  'docvalue_fields',
  'stored_fields',
  'script_fields',
  'pit',
  'suggest',
  'rescore',
  'knn',
  'min_score',
  'indices_boost',
  'slice',
  'explain',
  'profile',
  'ext',
  'retriever',
  'rank',
  'stats',
  'terminate_after',
]);
/**
 * Refuses a search body key a node does not know, as the node does, and one it knows that this server does not
 * implement: a post_filter or runtime field ignored here would let a test pass on hits a cluster would not return.
 */
function checkSearchKeys(body: Record<string, unknown>): void {
  for (const [key, value] of Object.entries(body)) {
    if (SEARCH_KEYS.has(key) || value === false || value === null) continue;
    if (UNSUPPORTED_KEYS.has(key)) throw new EsError(400, 'illegal_argument_exception', `the test server does not implement [${key}] in a search`);
    throw new EsError(400, 'parsing_exception', `Unknown key for a ${tokenOf(value)} in [${key}].`, { line: 1, col: 1 });
  }
}

/** The documents a request's query matches, with their index, in index order. */
function matched(ctx: Context, req: EsRequest, body: SearchBody, now: number): Hit[] {
  return targets(ctx, req).flatMap((state) =>
    [...state.docs.values()].filter((doc) => matches(body.query, doc, { mappings: state.mappings, now })).map((doc) => ({ doc, state })),
  );
}

function count(ctx: Context, req: EsRequest): Reply {
  return ok({ count: matched(ctx, req, req.json<SearchBody>(), Date.now()).length, _shards: { ...SHARDS, skipped: 0 } });
}

function search(ctx: Context, req: EsRequest): Reply {
  const body = req.json<SearchBody>();
  checkSearchKeys(body);
  const from = Number(body.from ?? req.query.get('from') ?? 0);
  const size = Number(body.size ?? req.query.get('size') ?? 10);
  if (from + size > MAX_RESULT_WINDOW) {
    throw new EsError(
      400,
      'illegal_argument_exception',
      `Result window is too large, from + size must be less than or equal to: [${MAX_RESULT_WINDOW}] but was [${from + size}]. ` +
        'See the scroll api for a more efficient way to request large data sets. ' +
        'This limit can be set by changing the [index.max_result_window] index level setting.',
    );
  }
  // One `now` per request, as a node resolves date math once for the whole search.
  const now = Date.now();
  const hits = matched(ctx, req, body, now);
  const sortSpec = body.sort ?? req.query.get('sort') ?? undefined;
  const after = body.search_after;
  if (after !== undefined && sortSpec === undefined)
    throw new EsError(400, 'illegal_argument_exception', 'search_after needs a sort: the test server has no scores to page by');
  if (after !== undefined && from !== 0)
    throw new EsError(400, 'action_request_validation_exception', 'Validation Failed: 1: `from` parameter must be set to 0 when `search_after` is used.;');
  const sorted = sortSpec === undefined ? undefined : sortHits(parseSort(sortSpec), hits, after);
  const aggs = body.aggs ?? body.aggregations;
  const aggregations = aggs ? aggregate(aggs, hits, now) : undefined;
  // Totals are exact only up to track_total_hits (10,000 by default), as on a cluster.
  const track = body.track_total_hits ?? MAX_RESULT_WINDOW;
  const limit = track === true ? Infinity : track === false ? -1 : track;
  const total = limit < 0 ? undefined : hits.length > limit ? { value: limit, relation: 'gte' } : { value: hits.length, relation: 'eq' };
  const rows = sorted ?? hits.map((hit) => ({ hit, sort: undefined }));
  const source = sourceFilterOf(body._source ?? req.query.get('_source') ?? undefined, req.query);
  // A field sort leaves hits unscored: _score and max_score are null, and each hit carries its sort values.
  const page = rows.slice(from, from + size).map(({ hit, sort }) => ({
    _index: hit.state.backingIndex,
    _id: hit.doc._id,
    _score: sort ? null : 1,
    ...(body.version === true || req.query.get('version') === 'true' ? { _version: hit.doc._version } : {}),
    ...(body.seq_no_primary_term === true || req.query.get('seq_no_primary_term') === 'true' ? { _seq_no: hit.doc._seq_no, _primary_term: 1 } : {}),
    ...(source.fetch ? { _source: filterSource(hit.doc._source, source) } : {}),
    ...(sort ? { sort } : {}),
  }));
  return ok({
    took: 1,
    timed_out: false,
    _shards: { ...SHARDS, skipped: 0 },
    hits: { ...(total ? { total } : {}), max_score: page.length > 0 && !sorted ? 1 : null, hits: page },
    ...(aggregations ? { aggregations } : {}),
  });
}

function getDoc(ctx: Context, req: EsRequest): Reply {
  const index = req.params['index'] as string;
  const states = ctx.store.resolve(index);
  const state = states[0];
  if (!state) throw indexNotFound(index);
  if (states.length > 1)
    throw new EsError(
      400,
      'illegal_argument_exception',
      `alias [${index}] has more than one index associated with it [${states.map((s) => s.backingIndex).join(', ')}], can't execute a single index op`,
    );
  const id = req.params['id'] as string;
  const doc = state.docs.get(id);
  if (!doc) return ok({ _index: state.backingIndex, _id: id, found: false }, 404);
  return ok({ _index: state.backingIndex, _id: doc._id, _version: doc._version, _seq_no: doc._seq_no, _primary_term: 1, found: true, _source: doc._source });
}

/** The single-document write APIs, answered with the bulk item's body and status, as Elasticsearch builds both from one result. */
function write(op: Op) {
  return (ctx: Context, req: EsRequest): Reply => {
    const source = op === 'delete' ? undefined : req.json();
    if (op === 'update' && source?.['doc'] === undefined && source?.['script'] === undefined)
      throw new EsError(400, 'action_request_validation_exception', 'Validation Failed: 1: script or doc is missing;');
    const opType = req.query.get('op_type');
    const number = (name: string) => (req.query.has(name) ? Number(req.query.get(name)) : undefined);
    const action: BulkAction = {
      op: op === 'index' && opType === 'create' ? 'create' : op,
      index: req.params['index'] as string,
      id: req.params['id'],
      source,
      sourceError: undefined,
      ifSeqNo: number('if_seq_no'),
      ifPrimaryTerm: number('if_primary_term'),
    };
    const item = applyAction(ctx.store, action, NO_FAULTS);
    const result = Object.values(item)[0];
    if (!result) throw new Error('an action produced no item');
    if (req.query.has('refresh') && req.query.get('refresh') !== 'false') ctx.stats.refreshes += 1;
    const { status, error, ...rest } = result;
    if (error) {
      const { caused_by, ...root } = error;
      return ok({ error: { root_cause: [root], ...root, ...(caused_by ? { caused_by } : {}) }, status }, status);
    }
    return ok(rest, status);
  };
}

/**
 * Deletes the documents a query matches, each as a delete with its seq_no (as Elasticsearch's snapshot-based delete
 * does): the test server has no refresh lag, so there is no version conflict to report. Answers with the counts a
 * cluster sends.
 */
function deleteByQuery(ctx: Context, req: EsRequest): Reply {
  const body = req.json<SearchBody>();
  if (body.query === undefined) throw new EsError(400, 'action_request_validation_exception', 'Validation Failed: 1: query is missing;');
  const now = Date.now();
  const doomed = targets(ctx, req).flatMap((t) =>
    [...t.docs.values()].filter((d) => matches(body.query, d, { mappings: t.mappings, now })).map((d) => ({ index: t.backingIndex, d })),
  );
  let deleted = 0;
  for (const { index, d } of doomed) {
    const action: BulkAction = { op: 'delete', index, id: d._id, source: undefined, sourceError: undefined, ifSeqNo: d._seq_no, ifPrimaryTerm: 1 };
    const result = Object.values(applyAction(ctx.store, action, NO_FAULTS))[0];
    if (result && !result.error) deleted++;
  }
  ctx.stats.deleteByQuery = (ctx.stats.deleteByQuery ?? 0) + 1;
  return ok({
    took: 1,
    timed_out: false,
    total: doomed.length,
    deleted,
    batches: 1,
    version_conflicts: doomed.length - deleted,
    noops: 0,
    retries: { bulk: 0, search: 0 },
    failures: [],
  });
}

export const docRoutes: Route[] = [
  { path: '{index}/_delete_by_query', methods: { POST: deleteByQuery } },
  { path: '_count', methods: { GET: count, POST: count } },
  { path: '{index}/_count', methods: { GET: count, POST: count } },
  { path: '_search', methods: { GET: search, POST: search } },
  { path: '{index}/_search', methods: { GET: search, POST: search } },
  { path: '{index}/_doc', methods: { POST: write('index') } },
  { path: '{index}/_doc/{id}', methods: { GET: getDoc, PUT: write('index'), POST: write('index'), DELETE: write('delete') } },
  { path: '{index}/_create/{id}', methods: { PUT: write('create'), POST: write('create') } },
  { path: '{index}/_update/{id}', methods: { POST: write('update') } },
];
