import { SourceIncompleteError } from '../errors.js';
import { otherWay } from './advice.js';
import { handOn, type CrawlContext } from './crawl-context.js';
import { describeEmpty, readPage, type RawPage } from './raw-page.js';
import { Limiter } from './limiter.js';
import { fetchedAhead, fetchExpectingRecords } from './refetch.js';

/** Passes over the result before giving up on a server whose pages keep shifting. */
const MAX_PASSES = 3;

export interface PageNumberResult {
  /** The server's count at the end of the last pass. */
  count: number;
  passes: number;
}

/**
 * The documented way to read up to the result cap: page numbers, sorted ascending by the resource's
 * `pageNumberSort` (a date that never changes, so a record added during the run lands after the pages already read
 * rather than shifting them all). Offsets still shift when records are added or removed during a pass (a record
 * then appears twice or not at all), and the order among equal sort keys is not documented, so one pass proves
 * nothing by itself. The result is read again until a pass sees exactly the records the server counts, all of them
 * already delivered: only then is every record delivered once. Records a later pass finds (added or moved
 * meanwhile) are delivered as they are found.
 */
export async function crawlPageNumbers<R>(ctx: CrawlContext<R>, concurrency: number): Promise<PageNumberResult> {
  const { noun, one } = ctx.resource;
  for (let pass = 1; ; pass++) {
    const { count, seen, shortPages, fresh } = await onePass(ctx, concurrency, pass);
    const consistent = shortPages === 0 && seen === count;
    ctx.logger.debug(`page-number pass ${pass}: server count ${count}, distinct records seen ${seen}, new ${fresh}, short pages ${shortPages}`);
    if (pass >= 2 && consistent && fresh === 0) return { count, passes: pass };
    if (pass >= MAX_PASSES) {
      if (consistent) return { count, passes: pass };
      throw new SourceIncompleteError(
        count,
        ctx.ledger.delivered,
        `reading ${count} ${noun} by page number, ${MAX_PASSES} passes never saw each ${one} the server counts exactly once ` +
          `(last pass: ${seen} distinct of ${count}${shortPages ? `, ${shortPages} short pages` : ''}); the server's pages shift or its order is unstable. ` +
          `Re-run the export, or use ${otherWay(ctx.advice, ctx.resource)}.`,
      );
    }
  }
}

async function onePass<R>(
  ctx: CrawlContext<R>,
  concurrency: number,
  pass: number,
): Promise<{ count: number; seen: number; shortPages: number; fresh: number }> {
  const { noun, path, keyField } = ctx.resource;
  const keys = new Set<string>();
  let count: number | undefined;
  let shortPages = 0;
  let fresh = 0;
  let lastPage = 1;
  // Pages are asked for ahead of the one handed on, at most `concurrency` requests at once; the pages held are
  // bounded by the look-ahead below, which is the same number.
  const requests = new Limiter(concurrency);
  const inFlight = new Map<number, Promise<RawPage>>();
  const request = (pageNumber: number) => {
    if (!inFlight.has(pageNumber)) {
      const expected = () => count === undefined || (pageNumber - 1) * ctx.pageSize < count;
      const fetchPage = () =>
        fetchExpectingRecords(
          () => fetchNumberedPage(ctx, pageNumber),
          (p) => (p.count ?? 0) > 0 && expected(),
          ctx.request,
          (p, attempt) =>
            ctx.logger.warn(`Qualys sent an empty page ${pageNumber} (${describeEmpty(p)}) although it counts more ${noun}; asking again (${attempt})`),
        );
      inFlight.set(pageNumber, fetchedAhead(requests.run(fetchPage)));
    }
  };
  for (let pageNumber = 1; pageNumber <= lastPage; pageNumber++) {
    for (let ahead = pageNumber; ahead <= Math.min(lastPage, pageNumber + Math.max(1, concurrency) - 1); ahead++) request(ahead);
    const page = await (inFlight.get(pageNumber) as Promise<RawPage>);
    inFlight.delete(pageNumber);
    if (page.count === undefined) {
      throw new SourceIncompleteError(
        0,
        ctx.ledger.delivered,
        `Qualys sent no "count" with page ${pageNumber} of GET ${path}, so the export cannot be checked for completeness; ` +
          `use ${otherWay(ctx.advice, ctx.resource)}.`,
      );
    }
    count = page.count;
    if (count > ctx.resultCap) {
      throw new SourceIncompleteError(
        count,
        ctx.ledger.delivered,
        `the filter now matches ${count} ${noun}, more than the ${ctx.resultCap} that page numbers can reach; ` +
          're-run the export (strategy auto then pages past the cap).',
      );
    }
    lastPage = Math.max(1, Math.ceil(count / ctx.pageSize));
    if (pageNumber < lastPage && page.data.length < ctx.pageSize) shortPages++;
    for (const raw of page.data) keys.add(String(raw[keyField]));
    // A later pass reads everything again to prove the result whole: what it finds delivered is that proof, counted
    // apart from the duplicates a server sends, and not normalized again.
    const rest = pass > 1 ? page.data.filter((raw) => !ctx.ledger.isDelivered(String(raw[keyField]))) : page.data;
    ctx.ledger.verifiedAgain(page.data.length - rest.length);
    fresh += await handOn(ctx, rest, 'list');
  }
  return { count: count ?? 0, seen: keys.size, shortPages, fresh };
}

async function fetchNumberedPage<R>(ctx: CrawlContext<R>, pageNumber: number): Promise<RawPage> {
  const { path, pageNumberSort } = ctx.resource;
  const response = await ctx.client.get(path, { filter: ctx.filter, sort: `${pageNumberSort}:asc`, pageNumber, pageSize: ctx.pageSize }, ctx.request);
  return readPage(response, `GET ${path}`);
}
