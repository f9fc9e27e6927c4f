import { SourceIncompleteError, SourceInconsistentError } from '../errors.js';
import { sleep } from '../client/wait.js';
import { handOn, type CrawlContext } from './crawl-context.js';
import { nextPaginationQuery } from './link-header.js';
import { rawEpochMs, readPage } from './raw-page.js';
import { fetchedAhead } from './refetch.js';
import { bulkOf } from './resource.js';

/** Empty pages in a row, each with a Link onwards, before the crawl is declared stuck. */
const MAX_EMPTY_PAGES_IN_A_ROW = 5;

export interface BulkEnd {
  /** How the server ended the crawl: a Link reading "null", no Link, or a Link the crawl could not use. */
  endedBy: 'null' | 'absent';
  /** Whether the last page was full: a server that stops sending Link headers early looks just like this. */
  lastPageFull: boolean;
  /** A cursor in the server's own format that continues after the last record seen, for a later pass. */
  continuation: string | undefined;
}

/**
 * Follows the resource's bulk cursor (for images GET /images/list, keyset on `updated`). Only the `paginationQuery` value is
 * taken from the Link header and re-sent to our own base URL (see link-header.ts). A page with no records but a
 * Link onwards is followed, not taken as the end; a Link that points back at the same cursor while records keep
 * coming would loop, and fails instead. Records rescanned during the crawl move ahead of the cursor and come back
 * again; the run's ledger delivers the first copy only.
 */
export async function crawlBulk<R>(ctx: CrawlContext<R>, start?: string): Promise<BulkEnd> {
  const bulk = bulkOf(ctx.resource);
  let emptyInARow = 0;
  let warnedNoLink = false;
  const tail = new TailTracker(bulk.cursorField, ctx.resource.exclusionField);
  const fetch = (cursor: string | undefined) =>
    fetchedAhead(ctx.client.get(bulk.path, { filter: ctx.filter, limit: ctx.pageSize, paginationQuery: cursor }, ctx.request));
  let cursor = start;
  let pending = fetch(cursor);
  for (;;) {
    const response = await pending;
    const page = readPage(response, `GET ${bulk.path}`);
    tail.observe(page.data);
    const link = response.headers['link'];
    let next = nextPaginationQuery(link);
    let end: BulkEnd | undefined;
    if (next === undefined) {
      const endedBy = link === undefined || link.trim() === '' ? 'absent' : 'null';
      const full = page.data.length >= ctx.pageSize;
      const own = tail.cursor();
      // The docs promise a Link on every page but the last, and say the last reads "null". A full page with no
      // Link at all is more likely a server that sends none, so the crawl continues in the cursor's own form
      // until a page comes back short; the final count check decides whether that was enough.
      if (endedBy === 'absent' && full && own !== undefined && own !== cursor) {
        if (!warnedNoLink) ctx.logger.warn('the bulk API sent a full page without a Link header; continuing with a cursor in its documented form');
        warnedNoLink = true;
        next = own;
      } else end = { endedBy, lastPageFull: full, continuation: own };
    } else if (page.data.length === 0) {
      if (++emptyInARow > MAX_EMPTY_PAGES_IN_A_ROW) {
        throw new SourceIncompleteError(
          0,
          ctx.ledger.delivered,
          `the bulk API sent ${emptyInARow} empty pages in a row, each with a Link to another page; ` +
            'stopping instead of following it for ever. Re-run the export.',
        );
      }
      ctx.logger.warn(`the bulk API sent an empty page with a Link onwards; following it (${emptyInARow})`);
      await sleep(100 * 2 ** (emptyInARow - 1), ctx.request.signal);
    } else {
      emptyInARow = 0;
      if (next === cursor) {
        throw new SourceInconsistentError(
          `the bulk API returned the same cursor twice while sending records (${next.slice(0, 120)}); stopping instead of looping.`,
        );
      }
    }
    // The next page depends only on the Link header, so it is asked for before this page is normalized and handed on.
    if (next !== undefined) {
      cursor = next;
      pending = fetch(cursor);
    }
    await handOn(ctx, page.data, 'bulk');
    if (end) return end;
  }
}

/**
 * Remembers the newest cursor date seen (`updated`) and the uuids at it (the exclusion field), to write a cursor in
 * the server's own documented form (`updated>=<ms> AND not uuid: [...]`, docs/qualys-api.md §2) that continues
 * after the last record.
 */
class TailTracker {
  private key: number | undefined;
  private uuids: string[] = [];

  constructor(
    private readonly field: string,
    private readonly exclusionField: string,
  ) {}

  observe(records: ReadonlyArray<Record<string, unknown>>): void {
    for (const raw of records) {
      const key = rawEpochMs(raw, this.field);
      const uuid = raw[this.exclusionField];
      if (key === undefined || typeof uuid !== 'string') continue;
      if (this.key === undefined || key > this.key) {
        this.key = key;
        this.uuids = [uuid];
      } else if (key === this.key && !this.uuids.includes(uuid)) this.uuids.push(uuid);
    }
  }

  cursor(): string | undefined {
    if (this.key === undefined) return undefined;
    // A URL cannot carry thousands of uuids; past a few hundred, continue strictly after the newest value instead.
    if (this.uuids.length > 200) return `${this.field}>=${this.key + 1}`;
    return `${this.field}>=${this.key} AND not ${this.exclusionField}: [${this.uuids.join(',')}]`;
  }
}
