import type { Context, PageReply } from './context.js';
import { parseClientFilter } from './dialect.js';
import { deliveryOf } from './faults.js';
import { BadRequest, intParam, send, sendNoContent } from './http.js';
import { emptyPageBody, shapeItems } from './page-faults.js';
import { combineFilters, parseQql } from './qql.js';
import type { Resource } from './resources.js';
import type { KeyedRecord } from './store.js';

/** Where an empty first page's Link sends the client back to: the whole keyset from the start. */
const FIRST_PAGE_CURSOR = 'updated>=0';

/**
 * GET /csapi/v1.3/images/list and /csapi/v1.3/containers/list: keyset paging on `updated` ascending. The next page is
 * named by a Link header whose `paginationQuery` is the server's own cursor, `updated>=<last> AND not uuid: [<uuids
 * already sent at last>]`.
 */
export function bulkPage<T extends KeyedRecord & { updated: string }>(ctx: Context, resource: Resource<T>, q: Record<string, string>, reply: PageReply): void {
  if (q['sort'] !== undefined || q['pageNumber'] !== undefined) throw new BadRequest('The bulk API takes no sort or pageNumber; follow the Link header');
  const limit = intParam(q, 'limit', 250, 1, 250);
  const { res, fault } = reply;
  // The dialect reads only the client's filter; the cursor is the server's own and always read plainly.
  const clientFilter = parseClientFilter(q['filter'], ctx.dialect, resource.fields);
  const cursorText = q['paginationQuery']?.trim() ? q['paginationQuery'] : undefined;
  const cursor = cursorText === undefined ? undefined : parseQql(cursorText, Date.now(), {}, resource.fields);
  const tieSeed = ctx.dialect.unstableTieOrder ? ctx.dataRequests : undefined;
  const result = resource.store.query(combineFilters(clientFilter, cursor), 'updated', false, 0, limit, tieSeed);
  const count = ctx.dialect.bulkCount ? resource.store.query(clientFilter, 'updated', false, 0, 0).count : undefined;
  const headers: Record<string, string> = { ...reply.headers };

  if (fault?.kind === 'emptyPage') {
    if (fault.shape === '204') return sendNoContent(res, headers);
    // Pointing back at the very page that came back empty: asking again gives the real records.
    setLink(ctx, headers, nextLink(ctx, resource.path, limit, cursorText ?? FIRST_PAGE_CURSOR));
    return send(res, 200, emptyPageBody(fault.shape, count), headers, deliveryOf(fault));
  }

  const items = result.items;
  const last = items[items.length - 1];
  if (last && items.length === limit) {
    // Keyset on `updated`, excluding the uuids already returned at the last value, as the real cursor does.
    const lastUpdated = last.updated;
    const previous = cursor?.bounds.get('updated')?.min === Number(lastUpdated) ? cursor.excludedUuids : [];
    const tail = items.filter((i) => i.updated === lastUpdated).map((i) => i.uuid);
    setLink(ctx, headers, nextLink(ctx, resource.path, limit, `updated>=${lastUpdated} AND not uuid: [${[...previous, ...tail].join(',')}]`));
  } else if ((ctx.options.linkEnd ?? 'null') === 'null') setLink(ctx, headers, 'null');
  // Page faults shape the records sent, never the cursor: a short page's Link still points past the full page.
  const data = resource.bulkItems(shapeItems(items, fault));
  send(res, 200, count === undefined ? { data } : { data, count }, headers, deliveryOf(fault));
}

/** The Link header naming the next page, in the configured style; undefined when the style sends none. */
function nextLink(ctx: Context, path: string, limit: number, paginationQuery: string): string | undefined {
  const params = new URLSearchParams({ limit: String(limit), paginationQuery }).toString();
  switch (ctx.options.linkStyle ?? 'doc') {
    case 'doc':
      return `<http://qualysapi.qualys.com${path}/list?${params}<;rel=next`;
    case 'rfc':
      return `<${ctx.url}${path}/list?${params}>; rel="next"`;
    case 'other-host':
      return `<https://qualysapi.qg9.apps.qualys.com${path}/list?${params}>; rel="next"`;
    case 'none':
      return undefined;
  }
}

/** Sets the Link header unless the style is "none", which sends none at all (not even the end marker). */
function setLink(ctx: Context, headers: Record<string, string>, value: string | undefined): void {
  if (value !== undefined && ctx.options.linkStyle !== 'none') headers['link'] = value;
}
