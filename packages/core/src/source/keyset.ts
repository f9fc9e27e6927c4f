import { otherWay, type SourceAdvice } from './advice.js';
import { SourceIncompleteError, SourceInconsistentError } from '../errors.js';
import { andFilters, excludeValues } from './qql.js';
import { handOn, type CrawlContext } from './crawl-context.js';
import type { ImageRecord } from '../record.js';
import type { ListResource } from './resource.js';
import { describeEmpty, describeRecord, rawEpochMs, readPage, type RawPage } from './raw-page.js';
import { fetchedAhead, fetchExpectingRecords } from './refetch.js';

/** The epoch-ms date field the keyset pages by: the resource's `keysetField` (for images `updated`, or `created`). */
export type KeysetField = string;

/** A half-open range [from, until) of the key, in epoch ms; null is unbounded on that side. */
export interface KeyRange {
  from: number | null;
  until: number | null;
}

/**
 * How far a running crawl of a range has come, reported after every page, so the rest of its range can be split
 * off to an idle producer (keyset-windows.ts).
 */
export interface KeysetProgress {
  /** The last key delivered: the rest of the range lies above it. */
  reached: number;
  /** The first key of the last page; with `reached` and `pageLength`, how densely the keys lie there. */
  pageFrom: number;
  pageLength: number;
  /** The server's count for the query of the last page, and of those the records beyond it; undefined without a count. */
  count: number | undefined;
  remaining: number | undefined;
}

/** Where a keyset crawl stands: the next query is `key>=low and not <exclusionField>: [excluded]`. */
export interface KeysetPosition {
  low: number | null;
  excluded: string[];
}

export interface KeysetContext<R = ImageRecord> extends CrawlContext<R> {
  field: KeysetField;
  /** Longest `not <exclusionField>: [...]` list sent before a group of equal keys is paged by number instead. */
  maxExclusions: number;
}

export function describeRange(field: KeysetField, range: KeyRange): string {
  const at = (ms: number | null) => (ms === null ? '…' : new Date(ms).toISOString());
  return `${field} [${at(range.from)}, ${at(range.until)})`;
}

/**
 * Crawls one range of the resource's list in key order, keyset style: every request is page 1 of
 * `key>=<last key> and not uuid: [<uuids already delivered at that key>]` (uuid: the resource's exclusionField),
 * the form of Qualys' own bulk cursor, so no query is ever paged past the result cap. A page is only the end of the
 * range when the server's count for the query agrees; a short or empty page in the middle is followed or asked for
 * again. Returns the position
 * after the last record, so the crawl can be continued later (the tail pass that picks up rescanned records).
 *
 * `range.until` may be lowered while the crawl runs, to hand the rest of the range to another crawl: every request
 * reads it, and records at or past it on a page asked for before it was lowered are left to that other crawl.
 */
export async function crawlKeysetRange<R>(
  ctx: KeysetContext<R>,
  range: KeyRange,
  start?: KeysetPosition,
  onProgress?: (progress: KeysetProgress) => void,
): Promise<KeysetPosition> {
  const { noun, exclusionField } = ctx.resource;
  let low = start?.low ?? range.from;
  let excluded = start?.excluded ?? [];
  let expectMore = false;
  // Whether expectMore rests on a count for the range as it is now. A count taken before the end was lowered may
  // promise records that now belong to another crawl: an empty page that counts 0 under the new end is then the end,
  // not a hiccup to ask again about. (An empty page with no count is asked again as ever.)
  let countStands = true;
  const query = () =>
    andFilters(
      ctx.filter,
      low !== null ? `${ctx.field}>=${low}` : undefined,
      range.until !== null ? `${ctx.field}<${range.until}` : undefined,
      excludeValues(exclusionField, excluded),
    );
  const fetch = (filter: string | undefined) => ({ until: range.until, page: fetchPage(filter) });
  const fetchPage = (filter: string | undefined) =>
    fetchedAhead(
      fetchExpectingRecords(
        () => fetchKeysetPage(ctx, filter, 1),
        (page) => (page.count !== undefined && page.count > 0) || (expectMore && (countStands || page.count === undefined)),
        ctx.request,
        (page, attempt) =>
          ctx.logger.warn(`Qualys sent an empty page (${describeEmpty(page)}) in the middle of ${describeRange(ctx.field, range)}; asking again (${attempt})`),
      ),
    );

  let pending: { until: number | null; page: Promise<RawPage> } | undefined = fetch(query());
  while (pending) {
    const asked = pending;
    const page: RawPage = await asked.page;
    pending = undefined;
    if (page.data.length === 0) {
      if (page.count !== undefined && page.count > 0) {
        throw new SourceIncompleteError(
          page.count,
          0,
          `Qualys counted ${page.count} ${noun} for ${describeRange(ctx.field, range)} but sent none (${describeEmpty(page)}), four times; ` +
            `the export would be incomplete. Re-run it; if this repeats, use ${otherWay(ctx.advice, ctx.resource)}.`,
        );
      }
      break;
    }
    // A record repeated inside one page is dropped here, before the order check it would otherwise fail.
    const received = page.data.length;
    ctx.ledger.droppedRepeats(dropRepeats(page, ctx.resource.keyField));
    const keys = checkKeysetPage(ctx.resource, ctx.field, page, low, asked.until, excluded, ctx.advice);
    // The page is sorted, so once it holds a key at or past an end lowered since it was asked for, every key of the
    // range below that end is on it: the range is done, and the rest is the other crawl's.
    const cutAt = range.until === asked.until ? -1 : keys.findIndex((key) => range.until !== null && key >= range.until);
    if (cutAt === 0) break;
    if (cutAt > 0) {
      page.data = page.data.slice(0, cutAt);
      keys.length = cutAt;
    }
    // With no count the only safe end is an empty page, which costs one more request per range.
    expectMore = cutAt > 0 ? false : page.count !== undefined ? page.count > page.data.length : true;
    countStands = range.until === asked.until;
    const last = keys[keys.length - 1] as number;
    onProgress?.({
      reached: last,
      pageFrom: keys[0] as number,
      pageLength: keys.length,
      count: page.count,
      remaining: !expectMore ? 0 : page.count !== undefined && countStands ? Math.max(0, page.count - received) : undefined,
    });
    const tail: string[] = [];
    let tailHasNoUuid = false;
    for (let i = keys.length - 1; i >= 0 && keys[i] === last; i--) {
      const uuid = (page.data[i] as Record<string, unknown>)[exclusionField];
      if (typeof uuid !== 'string' || uuid === '') tailHasNoUuid = true;
      tail.push(String(uuid));
    }
    const nextExcluded = last === low ? excluded.concat(tail) : tail;
    const tieTooLarge = tailHasNoUuid || nextExcluded.length > ctx.maxExclusions;
    if (tieTooLarge) {
      // Too many records share this key (reproducible builds, a bulk rescan) to list them in one URL: page through
      // that single value by page number instead, then continue strictly after it.
      low = last + 1;
      excluded = [];
    } else {
      low = last;
      excluded = nextExcluded;
      // The next query depends only on raw keys, so it goes out before this page is normalized and handed on.
      if (expectMore) pending = fetch(query());
    }
    await handOn(ctx, page.data, 'list');
    if (tieTooLarge) {
      const tie = await crawlEqualKeys(ctx, last);
      // The page's count covered the tie too: when this page's records below it and the tie make up the whole count,
      // nothing is left past it, and asking would only meet an empty page taken for a hiccup (asked again, warned).
      // Records added since are the tail's to read, as for any range.
      if (expectMore && page.count !== undefined && countStands) expectMore = page.count - keys.filter((k) => k < last).length - tie > 0;
      if (expectMore && (range.until === null || (low as number) < range.until)) pending = fetch(query());
    }
  }
  return { low, excluded };
}

/**
 * Delivers the records of one key value by page number (the group itself must stay under the result cap). The
 * server's order among equal keys is not documented, so the pass is repeated until every record the server counts
 * for that value has been seen. Gives the number of records seen with that value.
 */
async function crawlEqualKeys<R>(ctx: KeysetContext<R>, key: number): Promise<number> {
  const { noun, one, keyField } = ctx.resource;
  const filter = andFilters(ctx.filter, `${ctx.field}:[${key} ... ${key}]`);
  const seen = new Set<string>();
  for (let pass = 1; pass <= 3; pass++) {
    let expected = 0;
    for (let pageNumber = 1; ; pageNumber++) {
      if ((pageNumber - 1) * ctx.pageSize >= ctx.resultCap) {
        throw new SourceInconsistentError(
          `more than ${ctx.resultCap} ${noun} share the ${ctx.field} date ${new Date(key).toISOString()}; ` +
            `paging by key cannot pass Qualys' cap within one value. Use ${otherWay(ctx.advice, ctx.resource)} for this subscription.`,
        );
      }
      const page = await fetchKeysetPage(ctx, filter, pageNumber);
      expected = page.count ?? expected;
      for (const raw of page.data) {
        if (rawEpochMs(raw, ctx.field) !== key) {
          throw new SourceInconsistentError(
            `Qualys returned ${one} ${describeRecord(raw, keyField)} for the filter ${ctx.field}:[${key} ... ${key}] although its ${ctx.field} date differs; ` +
              `the server does not apply the paging filter as expected. Use ${otherWay(ctx.advice, ctx.resource)}.`,
          );
        }
        seen.add(String(raw[keyField]));
      }
      await handOn(ctx, page.data, 'list');
      if (page.data.length < ctx.pageSize && (page.count === undefined || pageNumber * ctx.pageSize >= page.count)) break;
    }
    if (seen.size >= expected) return seen.size;
  }
  throw new SourceIncompleteError(
    0,
    seen.size,
    `the ${noun} with ${ctx.field} ${new Date(key).toISOString()} could not all be read in three passes by page number; ` +
      `re-run the export, or use ${otherWay(ctx.advice, ctx.resource)}.`,
  );
}

export async function fetchKeysetPage(
  ctx: Pick<KeysetContext, 'client' | 'field' | 'pageSize' | 'request'> & { resource: Pick<ListResource<unknown>, 'path'> },
  filter: string | undefined,
  pageNumber: number,
): Promise<RawPage> {
  const { path } = ctx.resource;
  const response = await ctx.client.get(path, { filter, sort: `${ctx.field}:asc`, pageNumber, pageSize: ctx.pageSize }, ctx.request);
  return readPage(response, `GET ${path}`);
}

function dropRepeats(page: RawPage, keyField: string): number {
  const keys = new Set<string>();
  const before = page.data.length;
  page.data = page.data.filter((raw) => {
    const key = String(raw[keyField]);
    if (keys.has(key)) return false;
    keys.add(key);
    return true;
  });
  return before - page.data.length;
}

/**
 * The keyset is only exact if the server applied the filter and the sort. Both are checked on every page, so a
 * server that ignores them fails loudly instead of looping or skipping records.
 */
function checkKeysetPage(
  resource: Pick<ListResource<unknown>, 'one' | 'noun' | 'bulk' | 'keyField' | 'exclusionField'>,
  field: KeysetField,
  page: RawPage,
  low: number | null,
  until: number | null,
  excluded: readonly string[],
  advice: SourceAdvice,
): number[] {
  const keys: number[] = [];
  const { one, keyField, exclusionField } = resource;
  const excludedUuids = excluded.length > 0 ? new Set(excluded) : undefined;
  let previous = -Infinity;
  for (const raw of page.data) {
    const key = rawEpochMs(raw, field);
    if (key === undefined) {
      throw new SourceInconsistentError(
        `${one} ${describeRecord(raw, keyField)} has no numeric "${field}" date, which the keyset pages by. Use ${otherWay(advice, resource)}.`,
      );
    }
    const outside = key < previous || (low !== null && key < low) || (until !== null && key >= until);
    const repeated = excludedUuids !== undefined && key === low && excludedUuids.has(String(raw[exclusionField]));
    if (outside || repeated) {
      throw new SourceInconsistentError(
        `Qualys returned ${one} ${describeRecord(raw, keyField)} ` +
          `${repeated ? 'although the query excluded it' : `out of the requested ${field} order or range`}; ` +
          'the server does not apply the paging filter or sort as expected, so exactly-once delivery cannot be guaranteed. ' +
          `Use ${otherWay(advice, resource)} (or auto).`,
      );
    }
    previous = key;
    keys.push(key);
  }
  return keys;
}
