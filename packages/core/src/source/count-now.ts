import type { CrawlContext } from './crawl-context.js';
import { IMAGES, type ListResource } from './resource.js';
import { readPage } from './raw-page.js';

/**
 * The server's count for the filter alone: one record of the resource's list, no sort (every server takes that).
 * Without a resource it counts images, as `validate` asks.
 */
export async function countNow(
  ctx: Pick<CrawlContext, 'client' | 'filter' | 'request'> & { resource?: Pick<ListResource<unknown>, 'path'> },
): Promise<number | undefined> {
  const path = (ctx.resource ?? IMAGES).path;
  const response = await ctx.client.get(path, { filter: ctx.filter, pageNumber: 1, pageSize: 1 }, ctx.request);
  return readPage(response, `GET ${path}`).count;
}
