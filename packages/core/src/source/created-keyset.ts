import { ProtocolError, SourceInconsistentError } from '../errors.js';
import { normalizeImage } from '../normalize/index.js';
import type { QualysGetter, RequestOptions } from '../client/types.js';
import type { ImageRecord } from '../record.js';
import { andFilters, excludeUuids } from './qql.js';
import { describeRecord, rawEpochMs, readPage, type RawPage } from './raw-page.js';

export const IMAGES_PATH = '/csapi/v1.3/images';
/** Qualys serves at most this many records of one /images query (pageNumber × pageSize). */
export const IMAGES_RESULT_CAP = 10_000;

/** A half-open range of `created` epoch-ms values; null means unbounded on that side. */
export interface CreatedWindow {
  from: number | null;
  until: number | null;
}

export interface KeysetContext {
  client: QualysGetter;
  filter: string | undefined;
  pageSize: number;
  /** Longest `not uuid: [...]` list sent before switching to paging the tie group by page number. */
  maxExclusions: number;
  request: RequestOptions;
  emit: (records: ImageRecord[]) => Promise<void>;
  /** Told the server's count of the first page of an unbounded window: the total of the whole export. */
  onTotal?: (count: number) => void;
}

/**
 * Crawls one window of GET /images in `created` order, keyset style: every request is page 1 of
 * `created>=<last created> and not uuid: [<uuids already delivered at that created>]`, so no query is ever paged
 * past the 10,000 cap. `created` is the image's build time and never changes, so an image rescanned during the
 * crawl (its `updated` moves) keeps its place: every image present for the whole crawl is delivered exactly once.
 */
export async function crawlCreatedWindow(ctx: KeysetContext, window: CreatedWindow): Promise<void> {
  let low = window.from;
  let excluded: Array<{ uuid: string; sha: string }> = [];
  const query = () =>
    andFilters(
      ctx.filter,
      low !== null ? `created>=${low}` : undefined,
      window.until !== null ? `created<${window.until}` : undefined,
      excludeUuids(excluded.map((e) => e.uuid)),
    );
  let pending: Promise<RawPage> | undefined = fetchPage(ctx, query(), 1);
  while (pending) {
    const page = await pending;
    pending = undefined;
    if (low === null && window.until === null && page.count !== undefined) ctx.onTotal?.(page.count);
    const keys = checkPage(page, low, window.until, excluded);
    const full = page.data.length >= ctx.pageSize;
    let tieGroup: { created: number; seen: Set<string> } | undefined;
    if (full) {
      const last = keys[keys.length - 1] as number;
      const tail: Array<{ uuid: string; sha: string }> = [];
      let tailHasNoUuid = false;
      for (let i = keys.length - 1; i >= 0 && keys[i] === last; i--) {
        const raw = page.data[i] as Record<string, unknown>;
        const uuid = raw['uuid'];
        if (typeof uuid !== 'string' || uuid === '') tailHasNoUuid = true;
        tail.push({ uuid: String(uuid), sha: String(raw['sha']) });
      }
      const nextExcluded = last === low ? excluded.concat(tail) : tail;
      if (tailHasNoUuid || nextExcluded.length > ctx.maxExclusions) {
        // Too many images share this `created` value (reproducible builds report 0) to list them in one URL:
        // page through that single value by page number instead, then continue strictly after it.
        tieGroup = { created: last, seen: new Set(nextExcluded.map((e) => e.sha)) };
        low = last + 1;
        excluded = [];
      } else {
        low = last;
        excluded = nextExcluded;
        // The next query depends only on raw keys, so it goes out before this page is normalized and handed on.
        pending = fetchPage(ctx, query(), 1);
      }
    }
    try {
      if (page.data.length > 0) await ctx.emit(page.data.map((raw) => normalizeImage(raw, 'images')));
    } catch (error) {
      pending?.catch(() => undefined);
      throw error;
    }
    if (tieGroup) {
      await crawlTieGroup(ctx, tieGroup.created, tieGroup.seen);
      if (window.until === null || (low as number) < window.until) pending = fetchPage(ctx, query(), 1);
    }
  }
}

/**
 * Delivers the images of one `created` value not yet in `seen`, by page number (the group itself must stay under
 * the 10,000 cap). The server's order among equal `created` values is not documented, so the pass is repeated
 * until every image the server counts has been seen.
 */
async function crawlTieGroup(ctx: KeysetContext, created: number, seen: Set<string>): Promise<void> {
  const filter = andFilters(ctx.filter, `created:[${created} ... ${created}]`);
  for (let pass = 1; pass <= 3; pass++) {
    let expected = 0;
    for (let pageNumber = 1; ; pageNumber++) {
      if ((pageNumber - 1) * ctx.pageSize >= IMAGES_RESULT_CAP) {
        throw new SourceInconsistentError(
          `more than ${IMAGES_RESULT_CAP} images share the created date ${new Date(created).toISOString()}; ` +
            `the images strategy cannot page past Qualys' cap within one date. Use source.strategy: bulk for this subscription.`,
        );
      }
      const page = await fetchPage(ctx, filter, pageNumber);
      expected = page.count ?? expected;
      const fresh: ImageRecord[] = [];
      for (const raw of page.data) {
        if (rawEpochMs(raw, 'created') !== created) {
          throw new SourceInconsistentError(
            `Qualys returned image ${describeRecord(raw)} for the filter created:[${created} ... ${created}] although its created date differs; ` +
              `the server does not apply the paging filter as expected. Use source.strategy: bulk.`,
          );
        }
        const sha = String(raw['sha']);
        if (seen.has(sha)) continue;
        seen.add(sha);
        fresh.push(normalizeImage(raw, 'images'));
      }
      if (fresh.length > 0) await ctx.emit(fresh);
      if (page.data.length < ctx.pageSize) break;
    }
    if (seen.size >= expected) return;
  }
  throw new SourceInconsistentError(
    `the images created at ${new Date(created).toISOString()} changed while they were paged three times; re-run the export, or use source.strategy: bulk.`,
  );
}

async function fetchPage(ctx: KeysetContext, filter: string | undefined, pageNumber: number): Promise<RawPage> {
  const response = await ctx.client.get(
    IMAGES_PATH,
    { filter, sort: 'created:asc', pageNumber, pageSize: ctx.pageSize },
    ctx.request,
  );
  return readPage(response, `GET ${IMAGES_PATH}`);
}

/**
 * The keyset is only exact if the server applied the filter and the sort. Check both on every page, so a server
 * that ignores them fails loudly instead of looping or skipping images.
 */
function checkPage(page: RawPage, low: number | null, until: number | null, excluded: ReadonlyArray<{ uuid: string }>): number[] {
  const keys: number[] = [];
  const excludedUuids = excluded.length > 0 ? new Set(excluded.map((e) => e.uuid)) : undefined;
  let previous = -Infinity;
  for (const raw of page.data) {
    const key = rawEpochMs(raw, 'created');
    if (key === undefined) {
      throw new ProtocolError(
        `image ${describeRecord(raw)} has no numeric "created" date, which the images strategy pages by. Use source.strategy: bulk.`,
      );
    }
    const outside = key < previous || (low !== null && key < low) || (until !== null && key >= until);
    const repeated = excludedUuids !== undefined && key === low && excludedUuids.has(String(raw['uuid']));
    if (outside || repeated) {
      throw new SourceInconsistentError(
        `Qualys returned image ${describeRecord(raw)} out of the requested created order or range; the server does not apply ` +
          `the paging filter or sort as expected, so exactly-once delivery cannot be guaranteed. Use source.strategy: bulk.`,
      );
    }
    previous = key;
    keys.push(key);
  }
  return keys;
}
