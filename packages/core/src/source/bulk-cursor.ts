import { SourceInconsistentError } from '../errors.js';
import { normalizeImage } from '../normalize/index.js';
import type { QualysGetter, RequestOptions } from '../client/types.js';
import type { ImageRecord } from '../record.js';
import { nextPaginationQuery } from './link-header.js';
import { readPage } from './raw-page.js';

export const BULK_PATH = '/csapi/v1.3/images/list';

export interface BulkContext {
  client: QualysGetter;
  filter: string | undefined;
  limit: number;
  request: RequestOptions;
  emit: (records: ImageRecord[]) => Promise<void>;
  onDuplicate: () => void;
}

/**
 * Follows the bulk API's cursor. The server pages by `updated`, so an image rescanned during the crawl moves
 * ahead of the cursor and is returned again; the first copy was already delivered, so later copies are dropped.
 * That needs the set of shas seen so far: about 100 bytes per image, the one cost that grows with the export.
 */
export async function crawlBulk(ctx: BulkContext): Promise<void> {
  const seen = new Set<string>();
  let cursor: string | undefined;
  for (;;) {
    const response = await ctx.client.get(BULK_PATH, { filter: ctx.filter, limit: ctx.limit, paginationQuery: cursor }, ctx.request);
    const page = readPage(response, `GET ${BULK_PATH}`);
    const fresh: ImageRecord[] = [];
    for (const raw of page.data) {
      const record = normalizeImage(raw, 'images/list');
      if (seen.has(record.sha)) {
        ctx.onDuplicate();
        continue;
      }
      seen.add(record.sha);
      fresh.push(record);
    }
    if (fresh.length > 0) await ctx.emit(fresh);
    if (page.data.length === 0) return;
    const next = nextPaginationQuery(response.headers['link']);
    if (next === undefined) return;
    if (next === cursor) {
      throw new SourceInconsistentError(`the bulk API returned the same cursor twice (${next.slice(0, 120)}); stopping instead of looping.`);
    }
    cursor = next;
  }
}
