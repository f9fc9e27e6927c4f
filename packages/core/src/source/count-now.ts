import type { CrawlContext } from './crawl-context.js';
import { IMAGES_PATH } from './resource.js';
import { readPage } from './raw-page.js';

/** The server's count for the filter alone: one record of GET /images, no sort (every server takes that). */
export async function countNow(ctx: Pick<CrawlContext, 'client' | 'filter' | 'request'>): Promise<number | undefined> {
  const response = await ctx.client.get(IMAGES_PATH, { filter: ctx.filter, pageNumber: 1, pageSize: 1 }, ctx.request);
  return readPage(response, `GET ${IMAGES_PATH}`).count;
}
