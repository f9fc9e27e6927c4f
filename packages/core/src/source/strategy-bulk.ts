import { QcsError } from '../errors.js';
import { crawlBulk, type BulkEnd } from './bulk-cursor.js';
import type { CrawlContext } from './crawl-context.js';
import { bulkOf } from './resource.js';
import { PAGE_SIZE_LIMITS } from './settings.js';
import type { PassEnd, Strategy } from './strategy.js';

/**
 * The resource's bulk cursor (for images GET /images/list, documented past 10,000 images). Its tail is the cursor
 * continued after its end, where rescanned records land; `switched` says it took over from another strategy mid-run,
 * for the message.
 */
export function bulkStrategy<R>(base: CrawlContext<R>, switched: boolean): Strategy {
  bulkOf(base.resource);
  const ctx = { ...base, pageSize: Math.min(base.pageSize, PAGE_SIZE_LIMITS.bulk.max) };
  let end: BulkEnd | undefined;
  return {
    name: 'bulk',
    async crawl(): Promise<PassEnd> {
      end = await crawlBulk(ctx);
      return { kind: 'open' };
    },
    async readTail(): Promise<void> {
      if (end?.continuation === undefined) return;
      try {
        const next = await crawlBulk(ctx, end.continuation);
        // A continuation that found nothing keeps the position it started from.
        end = { ...next, continuation: next.continuation ?? end.continuation };
      } catch (error) {
        // The continuation is our cursor in the server's documented form; a server that only takes its own
        // cursors refuses it, and then the count alone decides.
        if (!(error instanceof QcsError) || (error.code !== 'QCS_FILTER_REJECTED' && error.code !== 'QCS_HTTP_ERROR')) throw error;
        ctx.logger.warn(`the bulk API refused a cursor continuing after its end (${error.message.slice(0, 160)}); relying on its count alone`);
        end = { ...end, continuation: undefined };
      }
    },
    async readAll(): Promise<void> {
      end = await crawlBulk(ctx);
    },
    describeReads: () => `${switched ? 'after switching to' : 'following'} the bulk cursor to its end, continuing it and reading it again`,
  };
}
