import type { QualysGetter, RequestOptions } from '../client/types.js';
import type { Logger } from '../logger.js';
import type { ImageRecord, RecordOrigin } from '../record.js';
import type { SourceAdvice } from './advice.js';
import type { DeliveryLedger } from './ledger.js';
import type { ListResource } from './resource.js';

export { BULK_PATH, IMAGES_PATH } from './resource.js';
/** Qualys serves at most this many records of one /images query (pageNumber × pageSize); docs/qualys-api.md §1. */
export const IMAGES_RESULT_CAP = 10_000;

/** What every strategy's crawl needs: the client, the user's filter, and the run's ledger of delivered shas. */
export interface CrawlContext {
  client: QualysGetter;
  filter: string | undefined;
  pageSize: number;
  /** The most records one /images query reaches (pageNumber × pageSize); IMAGES_RESULT_CAP unless configured. */
  resultCap: number;
  request: RequestOptions;
  resource: ListResource<ImageRecord>;
  ledger: DeliveryLedger<ImageRecord>;
  logger: Logger;
  /** How messages tell the user what to do. */
  advice: SourceAdvice;
  /** Hands a batch of fresh records to the consumer; resolves when there is room for more. */
  emit: (records: ImageRecord[]) => Promise<void>;
}

/**
 * The way every crawl hands a page on: normalize each raw record, keep those the ledger has not delivered, and emit
 * them. Returns how many were fresh.
 */
export async function handOn(ctx: CrawlContext, page: ReadonlyArray<Record<string, unknown>>, origin: RecordOrigin): Promise<number> {
  const fresh = ctx.ledger.fresh(page.map((raw) => ctx.resource.normalize(raw, origin)));
  if (fresh.length > 0) await ctx.emit(fresh);
  return fresh.length;
}
