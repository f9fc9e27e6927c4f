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
  const actions = parseBulk(req.text, req.params['index']);
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
      : actions.map((action) => applyAction(ctx.store, action, ctx.faults));
  const refresh = req.query.get('refresh');
  if (refresh !== null && refresh !== 'false') ctx.stats.refreshes += 1;
  const errors = items.some((item) => Object.values(item).some((result) => result.status >= 300));
  return ok({ errors, took: Math.round(performance.now() - started), items });
};

export const bulkRoutes: Route[] = [
  { path: '_bulk', methods: { POST: bulk, PUT: bulk } },
  { path: '{index}/_bulk', methods: { POST: bulk, PUT: bulk } },
];
