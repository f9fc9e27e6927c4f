import type { QualysGetter, RequestOptions } from '../client/types.js';
import type { Logger } from '../logger.js';
import type { ImageRecord } from '../record.js';
import type { SourceAdvice } from './advice.js';
import type { DeliveryLedger } from './ledger.js';

export const IMAGES_PATH = '/csapi/v1.3/images';
export const BULK_PATH = '/csapi/v1.3/images/list';
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
  ledger: DeliveryLedger;
  logger: Logger;
  /** How messages tell the user what to do. */
  advice: SourceAdvice;
  /** Hands a batch of fresh records to the consumer; resolves when there is room for more. */
  emit: (records: ImageRecord[]) => Promise<void>;
}
