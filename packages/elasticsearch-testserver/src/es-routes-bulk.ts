import { parseBulk } from './es-bulk-parse.js';
import { applyAction } from './es-bulk.js';
import { EsError } from './es-errors.js';
import { ok } from './es-http.js';
import type { Context, EsRequest, Handler, Route } from './es-router.js';

/**
 * `_bulk`: request faults first (a dropped connection, a body over a size limit, a whole-request status), then
 * the body's framing, then each item. Only requests that get as far as their items count in `stats.bulkRequests`,
 * as a node's indexing statistics would count them.
 */
const bulk: Handler = (ctx: Context, req: EsRequest) => {
  if (ctx.faults.takeDrop()) return 'drop';
  const tooLarge = ctx.faults.sizeRejection(Buffer.byteLength(req.text));
  if (tooLarge) throw new EsError(tooLarge.status, tooLarge.type, tooLarge.reason);
  const fault = ctx.faults.takeRequestStatus();
  if (fault) throw new EsError(fault.status, fault.type, fault.reason);
  const answerFault = ctx.faults.takeBulkAnswer();
  // What a proxy answers on its own: the node never sees the request.
  if (answerFault?.answer === 'empty-200') return { status: 200 };
  if (answerFault?.answer === 'redirect') return { status: 307, headers: { location: answerFault.location ?? req.path } };
  if (answerFault?.answer === 'not-json') return { status: 200, raw: { contentType: 'text/html', text: '<html><body>OK</body></html>' } };
  const parsed = parseBulk(req.text, req.params['index']);
  const actions = answerFault?.answer === 'fewer-items' ? parsed.slice(0, Math.floor(parsed.length / 2)) : parsed;
  if (answerFault?.answer === 'unstored') {
    const answered = actions.map((a) => ({ [a.op]: { _index: a.index, _id: a.id, _version: 1, result: 'created', status: 201 } }));
    return ok({ errors: false, took: 0, items: answered });
  }
  ctx.stats.bulkRequests += 1;
  ctx.stats.bulkItems += actions.length;
  const started = performance.now();
  // A pipeline the cluster does not have fails every item of the request, as on a real node.
  const pipeline = req.query.get('pipeline');
  const items =
    pipeline !== null && pipeline !== '_none' && !ctx.store.pipelines.has(pipeline)
      ? actions.map((action) => ({
          [action.op]: {
            _index: action.index,
            _id: action.id,
            status: 400,
            error: { type: 'illegal_argument_exception', reason: `pipeline with id [${pipeline}] does not exist` },
          },
        }))
      : pipeline !== null && dropsEverything(ctx.store.pipelines.get(pipeline))
        ? actions.map((action) => ({ [action.op]: { _index: action.index, _id: action.id, _version: -3, result: 'noop', status: 200 } }))
        : actions.map((action) => applyAction(ctx.store, action, ctx.faults));
  const refresh = req.query.get('refresh');
  if (refresh !== null && refresh !== 'false') ctx.stats.refreshes += 1;
  const last = items.at(-1);
  if (answerFault?.answer === 'wrong-id' && last) for (const result of Object.values(last)) result._id = `${String(result._id)}-other`;
  const errors = items.some((item) => Object.values(item).some((result) => result.status >= 300));
  return ok({ errors, took: Math.round(performance.now() - started), items });
};

/**
 * Whether a pipeline has an unconditional `drop` processor. The only processor this server runs: a node answers each
 * dropped document 200 with result "noop" and stores nothing. Other processors are kept, not run.
 */
function dropsEverything(pipeline: Record<string, unknown> | undefined): boolean {
  const processors = (pipeline?.['processors'] ?? []) as Array<Record<string, { if?: unknown } | undefined>>;
  return processors.some((p) => p['drop'] !== undefined && p['drop']?.if === undefined);
}

export const bulkRoutes: Route[] = [
  { path: '_bulk', methods: { POST: bulk, PUT: bulk } },
  { path: '{index}/_bulk', methods: { POST: bulk, PUT: bulk } },
];
