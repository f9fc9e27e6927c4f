import type { Context, PageReply } from './context.js';
import { checkSort, parseClientFilter } from './dialect.js';
import { deliveryOf } from './faults.js';
import { BadRequest, intParam, send, sendNoContent } from './http.js';
import { countsWithoutExceptions } from './findings.js';
import { emptyPageBody, shapeItems } from './page-faults.js';
import type { SortField } from './store.js';

const SORT_FIELDS: readonly string[] = ['created', 'updated', 'lastScanned', 'riskScore'];

/** GET /csapi/v1.3/images: page-number paging over a sorted, filtered list, capped at maxResultWindow records. */
export function listImages(ctx: Context, q: Record<string, string>, reply: PageReply): void {
  const { dialect, options } = ctx;
  const pageNumber = intParam(q, 'pageNumber', 1, 1, Number.MAX_SAFE_INTEGER);
  const pageSize = intParam(q, 'pageSize', 50, 1, 1000);
  checkSort(q['sort'], dialect);
  const [sortField, direction] = (q['sort'] ?? 'created:desc').split(':');
  if (!dialect.ignoreSort && (!SORT_FIELDS.includes(sortField ?? '') || !['asc', 'desc'].includes(direction ?? ''))) {
    throw new BadRequest(`Invalid sort "${q['sort']}": use <created|updated|lastScanned|riskScore>:<asc|desc>`);
  }
  const filter = parseClientFilter(q['filter'], dialect);
  const maxWindow = options.maxResultWindow ?? 10_000;
  const offset = (pageNumber - 1) * pageSize;
  let limit = pageSize;
  if (offset + pageSize > maxWindow) {
    const cap = options.capBehaviour ?? 'error';
    if (cap === 'error')
      throw new BadRequest(
        `The maximum number of image records that can be provided by this API is ${maxWindow}. Use the Bulk API (/csapi/v1.3/images/list) to fetch more.`,
      );
    limit = cap === 'empty' ? 0 : Math.max(0, maxWindow - offset);
  }
  const tieSeed = dialect.unstableTieOrder ? ctx.dataRequests : undefined;
  const result = dialect.ignoreSort
    ? ctx.store.query(filter, 'uuid', false, offset, limit)
    : ctx.store.query(filter, sortField as SortField, direction === 'desc', offset, limit, tieSeed);
  const count = dialect.count === 'absent' ? {} : { count: result.count };
  const { res, headers, fault } = reply;

  if (fault?.kind === 'emptyPage') {
    if (fault.shape === '204') return sendNoContent(res, headers);
    return send(res, 200, emptyPageBody(fault.shape, dialect.count === 'absent' ? undefined : result.count), headers, deliveryOf(fault));
  }
  if (result.items.length === 0 && (options.emptyResult ?? 204) === 204 && result.count === 0) return sendNoContent(res, headers);
  const items = options.listCountsExcludeExceptions ? result.items.map(countsWithoutExceptions) : result.items;
  send(res, 200, { data: shapeItems(items, fault), ...count }, headers, deliveryOf(fault));
}
