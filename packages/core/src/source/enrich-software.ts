import type { QualysGetter, QualysResponse } from '../client/types.js';
import { HttpError, ProtocolError, SourceInconsistentError } from '../errors.js';
import type { Logger } from '../logger.js';
import { normalizeSoftware } from '../normalize/normalize-software.js';
import type { ImageRecord, SoftwarePackage } from '../record.js';
import { recheckGone } from './image-recheck.js';
import { perImage } from './per-image.js';
import { describeEmpty, readPage } from './raw-page.js';

/** Packages asked for per page of `GET …/images/{sha}/software`. */
export const SOFTWARE_PAGE_SIZE = 1000;

export interface SoftwareOptions {
  client: QualysGetter;
  /**
   * Calls in flight at once. The calls are on the `/images/**` budget, like the findings calls, and the client's rate
   * governor paces them to it: this bounds latency-bound throughput, not the rate. Default: 32.
   */
  concurrency?: number;
  /** Images per batch handed on. Default: 4 × concurrency, at least 64. */
  batchImages?: number;
  /** Packages asked for per page (`pageSize`). Default: 1000. */
  pageSize?: number;
  signal?: AbortSignal;
  logger?: Logger;
}

export interface SoftwareStats {
  /** `GET …/images/{sha}/software` calls made: one per image, one more per further page. */
  calls: number;
  /** Packages read, over every image. */
  packages: number;
  /** Images whose inventory was empty (204, `data: []` or `data: null`): exported with `software: []`. */
  imagesWithoutSoftware: number;
  /**
   * Images gone between the list and their software: the call answered 404 and the image list no longer holds
   * them. Exported with `software: null`, warned about, and counted here.
   */
  missing: number;
  /** The first few of them. */
  missingShas: string[];
  /** Image-list calls made to tell a gone image from a listed one after a 404: one per such answer. */
  rechecks: number;
}

/**
 * Adds each image's software inventory (`software`: its packages, possibly none; null for an image gone since the
 * list) and hands the batches on in order, with every other field of the image as it came: so it can follow
 * enrichImages. The loop is perImage's: at most `concurrency` calls in flight, at most two batches held, the first
 * failure fails the run, and a consumer that stops early leaves no call in flight.
 * An image's list is read whole: while the answer's `count` says more packages than the pages so far held, the next
 * page is asked for (no `count`: one page is all).
 */
export function enrichSoftware(
  batches: AsyncIterable<ImageRecord[]>,
  options: SoftwareOptions,
): AsyncIterable<ImageRecord[]> & { readonly stats: SoftwareStats } {
  const stats: SoftwareStats = { calls: 0, packages: 0, imagesWithoutSoftware: 0, missing: 0, missingShas: [], rechecks: 0 };
  const concurrency = Math.max(1, options.concurrency ?? 32);
  return {
    stats,
    [Symbol.asyncIterator]: () =>
      perImage(batches, (image, signal) => softwareOf(image, { ...options, signal }, stats), {
        concurrency,
        batchSize: options.batchImages ?? Math.max(64, 4 * concurrency),
        signal: options.signal,
      }),
  };
}

async function softwareOf(image: ImageRecord, options: SoftwareOptions, stats: SoftwareStats): Promise<ImageRecord> {
  const path = `/csapi/v1.3/images/${encodeURIComponent(image.sha)}/software`;
  const pageSize = Math.max(1, Math.floor(options.pageSize ?? SOFTWARE_PAGE_SIZE));
  const request = options.signal ? { signal: options.signal } : {};
  const software: SoftwarePackage[] = [];
  let previous: string | undefined;
  let expected: number | undefined;
  for (let pageNumber = 1; ; pageNumber++) {
    const what = `GET ${path}?pageNumber=${pageNumber}&pageSize=${pageSize}`;
    stats.calls++;
    let response: QualysResponse;
    try {
      response = await options.client.get(path, { pageNumber, pageSize }, request);
    } catch (error) {
      if (!(error instanceof HttpError && error.status === 404)) throw error;
      return gone(image, `${what} answered 404`, options, stats);
    }
    const page = readPage(response, what);
    // The first page's count is the inventory's size (none: that page is all). A later page that is empty (a 204
    // reads as a count of 0) cannot lower it, or packages the first page counted would vanish without a trace.
    if (pageNumber === 1 || (page.data.length > 0 && page.count !== undefined)) expected = page.count;
    if (page.data.length === 0) {
      if (expected !== undefined && software.length < expected) {
        throw new SourceInconsistentError(
          `${what} answered with no packages (${describeEmpty(page)}), although the software list of image ${image.sha} counts ${expected} ` +
            `and ${software.length} were read: the others cannot be read, and exporting the image without them would hide them. ` +
            'Run the export again; if this repeats, report it.',
        );
      }
      break;
    }
    // A server that ignores pageNumber hands the first page out again and again: that is no progress, and counting
    // it as such would export duplicates.
    const text = JSON.stringify(page.data);
    if (text === previous) {
      throw new ProtocolError(
        `${what} answered with the same packages as page ${pageNumber - 1} for image ${image.sha}: the server does not page this list, ` +
          `and its count (${expected}) says there are more. Report it.`,
      );
    }
    previous = text;
    for (const item of page.data) software.push(normalizeSoftware(item));
    if (expected === undefined || software.length >= expected) break;
  }
  stats.packages += software.length;
  if (software.length === 0) stats.imagesWithoutSoftware++;
  return { ...image, software };
}

/**
 * The software call found no image. Exported without software only when the image list no longer holds it either
 * (deleted since the list was read); an image still listed fails the run, since its inventory would be lost silently.
 */
async function gone(image: ImageRecord, failed: string, options: SoftwareOptions, stats: SoftwareStats): Promise<ImageRecord> {
  await recheckGone(image.sha, failed, { what: 'its software', pronoun: 'it', permission: 'its software', without: 'software' }, options, stats);
  return { ...image, software: null };
}
