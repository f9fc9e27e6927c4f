import type { CrawlContext } from './crawl-context.js';
import { crawlPageNumbers } from './page-numbers.js';
import type { PassEnd, Strategy } from './strategy.js';

/**
 * Page numbers (documented, up to the result cap). The crawl repeats its own passes until one agrees with the
 * server's count, so its first pass ends proven; a tail of a page-number read is the whole result again.
 */
export function pagesStrategy<R>(ctx: CrawlContext<R>, concurrency: number): Strategy {
  const readAll = async () => {
    await crawlPageNumbers(ctx, concurrency);
  };
  return {
    name: 'pages',
    async crawl(): Promise<PassEnd> {
      return { kind: 'proven', count: (await crawlPageNumbers(ctx, concurrency)).count };
    },
    readTail: readAll,
    readAll,
    describeReads: () => 'reading every page number again',
  };
}
