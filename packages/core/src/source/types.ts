import type { ContainerRecord } from '../container-record.js';
import type { SourceAdvice } from './advice.js';
import type { Logger } from '../logger.js';
import type { ImageRecord } from '../record.js';
import type { QualysGetter } from '../client/types.js';
import type { FormVerdict } from './self-test.js';

/**
 * How the source reads the images (README "Strategies"):
 * - "auto" (default): page numbers when the filter matches few enough images for the documented 10,000 cap;
 *   past it, a keyset on /images if a short self-test proves this server applies the forms it needs, otherwise
 *   the bulk cursor, Qualys' documented way past 10,000 images.
 * - "pages": GET /csapi/v1.3/images by page number (documented), read until a pass sees every image once.
 * - "images": GET /csapi/v1.3/images as a keyset on `updated` (undocumented forms, checked on every page).
 * - "bulk": GET /csapi/v1.3/images/list, following the server's Link cursor. Records carry findings
 *   (qid/result/software) but no severity counts.
 * Another list resource (resource.ts) is read the same ways over its own list and bulk cursor, under the same names.
 */
export const SOURCE_STRATEGIES = ['auto', 'pages', 'images', 'bulk'] as const;
export type SourceStrategy = (typeof SOURCE_STRATEGIES)[number];
export type ResolvedStrategy = Exclude<SourceStrategy, 'auto'>;

export interface PageInfo {
  /** 1-based count of pages fetched so far. */
  page: number;
  /** Records in this page after de-duplication. */
  records: number;
  /** Records delivered so far, this page included. */
  totalRecords: number;
  /** The server's `count` of matches for the whole export, when known. */
  expectedTotal: number | undefined;
  /** What the records are, in the plural ("containers"), for a progress line; default "images". */
  noun?: string;
}

export interface ImageSourceOptions {
  client: QualysGetter;
  /** Default: "auto". */
  strategy?: SourceStrategy;
  /** QQL filter, e.g. "imagesInUse:'[now-7d ... now]'". Default: none (every image). */
  filter?: string;
  /** Records per request: 1..1000 for /images (default 1000), 1..250 for bulk (default 250). */
  pageSize?: number;
  /** Pages fetched ahead of the consumer, per window in flight. Default: 2. */
  prefetch?: number;
  /**
   * Requests in flight at once: keyset windows crawled in parallel, or page numbers fetched ahead (1 = strictly
   * sequential). Memory is bounded by concurrency × (prefetch + 1) × pageSize records. Default: 4.
   */
  concurrency?: number;
  /** Keyset: longest `not uuid: [...]` list sent before a group of equal dates is paged by number instead. Default: 100. */
  maxExclusions?: number;
  /**
   * The most records one /images query can reach (pageNumber × pageSize). Qualys documents 10,000; set it only for
   * a server or gateway that caps lower. Default: 10,000.
   */
  resultCap?: number;
  /** auto: the largest count read by page numbers; above it the export pages past the cap. Default: 90% of resultCap (9,000). */
  pageNumberLimit?: number;
  signal?: AbortSignal;
  logger?: Logger;
  /** How error messages name the strategy option and the diagnosis. Default: core's own words (DEFAULT_ADVICE). */
  advice?: SourceAdvice;
  /** Called after each page; the runner's progress line uses it. */
  onPage?: (info: PageInfo) => void;
  /** Called once the strategy is chosen, before the first record. */
  onStrategy?: (strategy: ResolvedStrategy, reason: string) => void;
}

/** What the source did, for the run summary; filled in as the run goes. */
export interface SourceStats {
  pages: number;
  records: number;
  /** Records dropped because the same sha was already delivered (repeated in a page, or returned again after a rescan). */
  duplicatesDropped: number;
  /** Records a page-number crawl read again in a later pass to prove its result whole (not duplicates). */
  rereadToVerify: number;
  strategy: ResolvedStrategy | undefined;
  strategyReason: string | undefined;
  /** The forms the auto self-test tried, when it ran. */
  selfTest: FormVerdict[] | undefined;
  /** The server's count for the filter when the run started, and when it ended. */
  expectedAtStart: number | undefined;
  countAtEnd: number | undefined;
  /** Delivered images whose `updated` is later than the run's start: rescanned or added while it ran. */
  changedDuringRun: number;
  /** Extra passes made to pick up images the first pass could not account for. */
  repairPasses: number;
  /** Whether the records carry severity counts (the bulk API has none). */
  severityCounts: 'present' | 'absent';
}

/** The stats of a source that has read nothing yet. */
export function emptySourceStats(): SourceStats {
  return {
    pages: 0,
    records: 0,
    duplicatesDropped: 0,
    rereadToVerify: 0,
    strategy: undefined,
    strategyReason: undefined,
    selfTest: undefined,
    expectedAtStart: undefined,
    countAtEnd: undefined,
    changedDuringRun: 0,
    repairPasses: 0,
    severityCounts: 'present',
  };
}

/** Batches of normalized records of one list resource, and what the source did to read them. */
export interface ListSource<R> extends AsyncIterable<R[]> {
  readonly stats: SourceStats;
}

export interface ImageSource extends ListSource<ImageRecord> {}
/** The container source: a ListSource of containers. */
export interface ContainerSource extends ListSource<ContainerRecord> {}

/** The options of a source over any list resource are those of the image source; the resource brings its own defaults. */
export type ListSourceOptions = ImageSourceOptions;
