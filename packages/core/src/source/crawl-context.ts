import type { QualysGetter, RequestOptions } from '../client/types.js';
import type { Logger } from '../logger.js';
import type { ImageRecord } from '../record.js';
import type { SourceAdvice } from './advice.js';
import type { DeliveryLedger } from './ledger.js';
import type { ListRead, ListResource } from './resource.js';

export { BULK_PATH, IMAGES_PATH, IMAGES_RESULT_CAP } from './resource.js';

/**
 * What every strategy's crawl needs: the client, the user's filter, the resource read, and the run's ledger of
 * delivered keys. `R` defaults to images, the resource callers built contexts for before there were others.
 */
export interface CrawlContext<R = ImageRecord> {
  client: QualysGetter;
  filter: string | undefined;
  pageSize: number;
  /** The most records one query of the list reaches (pageNumber × pageSize); the resource's own cap unless configured. */
  resultCap: number;
  request: RequestOptions;
  resource: ListResource<R>;
  ledger: DeliveryLedger<R>;
  logger: Logger;
  /** How messages tell the user what to do. */
  advice: SourceAdvice;
  /** Hands a batch of fresh records to the consumer; resolves when there is room for more. */
  emit: (records: R[]) => Promise<void>;
}

/**
 * The way every crawl hands a page on: normalize each raw record, keep those the ledger has not delivered, and emit
 * them. Returns how many were fresh.
 */
export async function handOn<R>(ctx: CrawlContext<R>, page: ReadonlyArray<Record<string, unknown>>, read: ListRead): Promise<number> {
  const fresh = ctx.ledger.fresh(page.map((raw) => ctx.resource.normalize(raw, read)));
  if (fresh.length > 0) await ctx.emit(fresh);
  return fresh.length;
}
