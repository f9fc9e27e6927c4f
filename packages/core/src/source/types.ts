import type { Logger } from '../logger.js';
import type { ImageRecord } from '../record.js';
import type { QualysGetter } from '../client/types.js';

/**
 * - "images": GET /csapi/v1.3/images, keyset-paged on the image's immutable `created` date, so it is never
 *   asked for more than one page of a query and never reaches the 10,000 cap. Records carry severity counts.
 * - "bulk": GET /csapi/v1.3/images/list, following the server's Link cursor (keyset on `updated`). Records
 *   carry findings (qid/result/software) but no severity counts. Images rescanned during the crawl come back
 *   again and are de-duplicated by sha, which costs memory per image.
 */
export type SourceStrategy = 'images' | 'bulk';

export interface PageInfo {
  /** 1-based count of pages fetched so far. */
  page: number;
  /** Records in this page after de-duplication. */
  records: number;
  /** Records delivered so far, this page included. */
  totalRecords: number;
  /** The server's `count` of matches for the whole export, when known (images strategy). */
  expectedTotal: number | undefined;
}

export interface ImageSourceOptions {
  client: QualysGetter;
  /** Default: "images". */
  strategy?: SourceStrategy;
  /** QQL filter, e.g. "imagesInUse:'[now-7d ... now]'". Default: none (every image). */
  filter?: string;
  /** Records per request: 1..1000 for "images" (default 1000), 1..250 for "bulk" (default 250). */
  pageSize?: number;
  /** Pages fetched ahead of the consumer, per window in flight. Default: 2. */
  prefetch?: number;
  /**
   * images strategy: how many `created` windows are crawled at once (1 = strictly sequential). Memory is bounded by
   * concurrency × (prefetch + 1) × pageSize records. Default: 4.
   */
  concurrency?: number;
  /** images strategy: longest `not uuid: [...]` list sent before a tie group is paged by number instead. Default: 100. */
  maxExclusions?: number;
  signal?: AbortSignal;
  logger?: Logger;
  /** Called after each page; the runner's progress line uses it. */
  onPage?: (info: PageInfo) => void;
}

export interface SourceStats {
  pages: number;
  records: number;
  /** Records dropped because the same sha was already delivered (bulk strategy, images updated mid-crawl). */
  duplicatesDropped: number;
}

export interface ImageSource extends AsyncIterable<ImageRecord[]> {
  readonly stats: SourceStats;
}
