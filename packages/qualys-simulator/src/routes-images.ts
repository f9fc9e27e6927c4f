import type { Context, PageReply } from './context.js';
import { checkSort, parseClientFilter } from './dialect.js';
import { deliveryOf } from './faults.js';
import { BadRequest, intParam, send, sendNoContent } from './http.js';
import { emptyPageBody, shapeItems } from './page-faults.js';
import type { Resource } from './resources.js';
import type { KeyedRecord } from './store.js';

/**
 * GET /csapi/v1.3/images and /csapi/v1.3/containers: page-number paging over a sorted, filtered list, capped at
 * maxResultWindow records.
 */
export function listPage<T extends KeyedRecord>(ctx: Context, resource: Resource<T>, q: Record<string, string>, reply: PageReply): void {
  const { dialect, options } = ctx;
  const pageNumber = intParam(q, 'pageNumber', 1, 1, Number.MAX_SAFE_INTEGER);
  const pageSize = intParam(q, 'pageSize', 50, 1, 1000);
  checkSort(q['sort'], dialect);
  const [sortField, direction] = (q['sort'] ?? 'created:desc').split(':');
  if (!dialect.ignoreSort && (!resource.sortFields.includes(sortField ?? '') || !['asc', 'desc'].includes(direction ?? ''))) {
    throw new BadRequest(`Invalid sort "${q['sort']}": use <${resource.sortFields.join('|')}>:<asc|desc>`);
  }
  const filter = parseClientFilter(q['filter'], dialect, resource.fields);
  const maxWindow = options.maxResultWindow ?? 10_000;
  const offset = (pageNumber - 1) * pageSize;
  let limit = pageSize;
  if (offset + pageSize > maxWindow) {
    const cap = options.capBehaviour ?? 'error';
    const bulk = `${resource.path}/list`;
    if (cap === 'error')
      throw new BadRequest(
        `The maximum number of ${resource.noun} records that can be provided by this API is ${maxWindow}. Use the Bulk API (${bulk}) to fetch more.`,
      );
    limit = cap === 'empty' ? 0 : Math.max(0, maxWindow - offset);
  }
  const tieSeed = dialect.unstableTieOrder ? ctx.dataRequests : undefined;
  const result = dialect.ignoreSort
    ? resource.store.query(filter, 'uuid', false, offset, limit)
    : resource.store.query(filter, sortField as string, direction === 'desc', offset, limit, tieSeed);
  const count = dialect.count === 'absent' ? {} : { count: result.count };
  const { res, headers, fault } = reply;

  if (fault?.kind === 'emptyPage') {
    if (fault.shape === '204') return sendNoContent(res, headers);
    return send(res, 200, emptyPageBody(fault.shape, dialect.count === 'absent' ? undefined : result.count), headers, deliveryOf(fault));
  }
  if (result.items.length === 0 && (options.emptyResult ?? 204) === 204 && result.count === 0) return sendNoContent(res, headers);
  send(res, 200, { data: shapeItems(resource.listItems(result.items), fault), ...count }, headers, deliveryOf(fault));
}
