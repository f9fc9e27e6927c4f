import { ConfigError } from '../errors.js';
import { silentLogger } from '../logger.js';
import type { ImageRecord } from '../record.js';
import { crawlBulk } from './bulk-cursor.js';
import { crawlWindowsInOrder, planCreatedWindows } from './created-windows.js';
import { prefetch } from './prefetch.js';
import type { ImageSource, ImageSourceOptions, SourceStats } from './types.js';

export const PAGE_SIZE_LIMITS = { images: { max: 1000, default: 1000 }, bulk: { max: 250, default: 250 } } as const;

/**
 * Streams every image of the subscription (or of the filter) as normalized batches, one per API page, with
 * memory bounded by the page size and prefetch depth. See SourceStrategy for how each strategy stays exact.
 */
export function imageSource(options: ImageSourceOptions): ImageSource {
  const strategy = options.strategy ?? 'images';
  const limits = PAGE_SIZE_LIMITS[strategy];
  const pageSize = options.pageSize ?? limits.default;
  if (!Number.isInteger(pageSize) || pageSize < 1 || pageSize > limits.max) {
    throw new ConfigError(`pageSize must be a whole number from 1 to ${limits.max} for the ${strategy} strategy, got ${pageSize}`);
  }
  const prefetchPages = Math.max(1, options.prefetch ?? 2);
  const concurrency = Math.max(1, options.concurrency ?? 4);
  const logger = options.logger ?? silentLogger;
  const filter = options.filter?.trim() || undefined;
  const stats: SourceStats = { pages: 0, records: 0, duplicatesDropped: 0 };
  let expectedTotal: number | undefined;

  const pages = (): AsyncIterable<ImageRecord[]> => {
    if (strategy === 'bulk') {
      return prefetch<ImageRecord[]>(
        (emit, signal) =>
          crawlBulk({
            client: options.client,
            filter,
            limit: pageSize,
            request: { signal },
            emit,
            onDuplicate: () => stats.duplicatesDropped++,
          }),
        prefetchPages,
        options.signal,
      );
    }
    const ctx = {
      client: options.client,
      filter,
      pageSize,
      maxExclusions: options.maxExclusions ?? 100,
      request: { signal: options.signal },
      onTotal: (count: number) => (expectedTotal = count),
    };
    return {
      async *[Symbol.asyncIterator]() {
        const plan = await planCreatedWindows(ctx, concurrency);
        expectedTotal ??= plan.expectedTotal;
        logger.debug('images strategy plan', { windows: plan.windows.length, expectedTotal });
        yield* crawlWindowsInOrder(ctx, plan.windows, concurrency, prefetchPages, options.signal);
      },
    };
  };

  return {
    stats,
    async *[Symbol.asyncIterator]() {
      for await (const batch of pages()) {
        stats.pages++;
        stats.records += batch.length;
        options.onPage?.({ page: stats.pages, records: batch.length, totalRecords: stats.records, expectedTotal });
        yield batch;
      }
    },
  };
}
