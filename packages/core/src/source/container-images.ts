import type { ContainerRecord, RunContainer } from '../container-record.js';
import { HttpError, ProtocolError, SourceInconsistentError } from '../errors.js';
import { silentLogger, type Logger } from '../logger.js';
import { normalizeImage } from '../normalize/normalize-image.js';
import { isPlainObject } from '../normalize/values.js';
import type { ImageRecord } from '../record.js';
import type { QualysGetter } from '../client/types.js';
import { emptyEnrichStats, type EnrichStats } from './enrich-types.js';
import { ImageCache } from './image-cache.js';
import { exceptionOf } from './image-exceptions.js';
import { stillListed } from './image-recheck.js';
import { Limiter } from './limiter.js';

export interface ImageLookupOptions {
  client: QualysGetter;
  /** Calls in flight at once; the rate governor paces them to the `/images/**` budget. Default: 32. */
  concurrency?: number;
  /** Read the exception over exempted findings, as for images. Default: true. */
  exceptionDetails?: boolean;
  /** Images kept in memory; the rest are read back from a spill file. Default: 256. */
  imagesInMemory?: number;
  /**
   * Batches are cut so that the findings of the images their containers run add up to at most this many (a
   * container counts at least one), since every container × finding becomes a row: a page of 1,000 containers of an
   * image with 300 findings would otherwise be 300,000 rows at once. Default: 10,000.
   */
  findingsPerBatch?: number;
  /**
   * Images the run already holds with their findings (a run that read the images first): looked up there before any
   * call. The caller closes it. Default: a cache of this lookup's own.
   */
  cache?: ImageCache;
  /** The instant an exception must be active at: the export's start. */
  now?: Date;
  signal?: AbortSignal;
  logger?: Logger;
}

export interface ImageLookupStats {
  /** `GET /images/{sha}` calls: one per distinct image the containers run, however many containers run it. */
  calls: number;
  /** Image-list calls that told a gone image from a listed one after a 404 (or 204). */
  rechecks: number;
  /** Of those, images Qualys no longer holds (404 or 204, and not listed): their containers are exported without findings. */
  imagesNotFound: number;
  /** The first few of them. */
  notFoundShas: string[];
  /** Containers whose record names no image sha (Qualys sends only a digest for some): exported without findings. */
  containersWithoutImage: number;
  /** Findings read, once per image. */
  findings: number;
  exceptionCalls: number;
  exceptionsForbidden: number;
  /** Images read back from the spill file because more were looked up than memory keeps. */
  rereads: number;
  /** Distinct images the containers run that the run had already read with their findings (its images stage): no call. */
  reused: number;
}

const EXAMPLES = 5;

/**
 * The containers with the image each runs, looked up once per image (`GET /images/{sha}`: its repositories and its
 * findings, with the exception over its exempted ones), however many containers run it and however far apart they
 * come: the lookups of a run are cached, in memory up to a bound and in a spill file past it. The next batch's calls
 * start while the current one's are out, and batches are handed on in order, at most two held at once.
 */
export function lookUpImages(
  batches: AsyncIterable<ContainerRecord[]>,
  options: ImageLookupOptions,
): AsyncIterable<RunContainer[]> & { readonly stats: ImageLookupStats } {
  const stats: ImageLookupStats = {
    calls: 0,
    rechecks: 0,
    imagesNotFound: 0,
    notFoundShas: [],
    containersWithoutImage: 0,
    findings: 0,
    exceptionCalls: 0,
    exceptionsForbidden: 0,
    rereads: 0,
    reused: 0,
  };
  const logger = options.logger ?? silentLogger;
  return {
    stats,
    async *[Symbol.asyncIterator]() {
      const cache = options.cache ?? new ImageCache(options.imagesInMemory ?? 256);
      const slots = new Limiter(options.concurrency ?? 32, { signal: options.signal, stopOnFailure: true });
      // An image asked for by two batches at once is fetched once: the second waits for the first call.
      const pending = new Map<string, Promise<void>>();
      const exceptions = emptyEnrichStats();
      // Images found in a cache the run filled before (reused), told apart from those this lookup fetched.
      const fetched = new Set<string>();
      const counted = new Set<string>();
      const fetchOnce = (sha: string): Promise<void> => {
        let call = pending.get(sha);
        if (call === undefined) {
          fetched.add(sha);
          call = slots.run(async () => cache.set(sha, await fetchImage(sha, options, stats, exceptions))).finally(() => pending.delete(sha));
          pending.set(sha, call);
        }
        return call;
      };
      const resolve = async (batch: ContainerRecord[]): Promise<RunContainer[]> => {
        const shas = new Set(batch.map((c) => c.imageSha).filter((s): s is string => s !== null));
        for (const sha of shas) if (cache.has(sha) && !pending.has(sha) && !fetched.has(sha) && !counted.has(sha)) counted.add(sha);
        await Promise.all([...shas].filter((sha) => !cache.has(sha) || pending.has(sha)).map(fetchOnce));
        // Read once per batch: an image read back from the spill file is a new copy each time, and 300 containers
        // of one image must share one.
        const images = new Map<string, ImageRecord | null>();
        for (const sha of shas) images.set(sha, (await cache.get(sha)) ?? null);
        return batch.map((container) => {
          if (container.imageSha === null) stats.containersWithoutImage++;
          return { container, image: container.imageSha === null ? null : (images.get(container.imageSha) ?? null) };
        });
      };
      const source = batches[Symbol.asyncIterator]();
      const inFlight: Promise<RunContainer[]>[] = [];
      let done = false;
      try {
        for (;;) {
          while (!done && inFlight.length < 2) {
            const next = await source.next();
            if (next.done) done = true;
            else inFlight.push(observed(resolve(next.value)));
          }
          const head = inFlight.shift();
          if (head === undefined) break;
          yield* cut(await head, options.findingsPerBatch ?? 10_000);
        }
        stats.exceptionCalls = exceptions.exceptionCalls;
        stats.exceptionsForbidden = exceptions.exceptionsForbidden;
        stats.rereads = cache.rereads;
        stats.reused = counted.size;
        if (stats.imagesNotFound > 0) {
          logger.warn(
            `${stats.imagesNotFound} images run by containers are no longer in Qualys (GET /images/{sha} answered 404), e.g. ` +
              `${stats.notFoundShas.join(', ')}: their containers are exported without findings`,
          );
        }
        if (stats.containersWithoutImage > 0) {
          logger.warn(`${stats.containersWithoutImage} containers name no image sha (Qualys sent only a digest): exported without findings`);
        }
      } finally {
        slots.close();
        await Promise.allSettled([...inFlight, ...pending.values()]);
        await source.return?.(undefined);
        if (options.cache === undefined) await cache.close();
      }
    },
  };
}

/** One image with its findings and their exception, or null when Qualys no longer holds it. */
async function fetchImage(sha: string, options: ImageLookupOptions, stats: ImageLookupStats, exceptions: EnrichStats): Promise<ImageRecord | null> {
  const path = `/csapi/v1.3/images/${encodeURIComponent(sha)}`;
  const request = options.signal ? { signal: options.signal } : {};
  stats.calls++;
  let body: unknown;
  try {
    body = (await options.client.get(path, {}, request)).body;
  } catch (error) {
    if (!(error instanceof HttpError && error.status === 404)) throw error;
    body = null;
  }
  if (body === null) {
    // As for the images of an image run: gone only when the image list no longer holds it either, else its findings
    // would be dropped from every container that runs it without a trace.
    if (await stillListed(options.client, sha, `GET ${path} answered 404`, request)) {
      throw new SourceInconsistentError(
        `GET ${path} answered 404 for image ${sha}, run by containers of this export, but the image list still holds it: its findings ` +
          "cannot be read, and exporting its containers without them would hide them. Run the export again; if this repeats, check the API user's " +
          'permission to read image details, or report it.',
      );
    }
    stats.rechecks++;
    stats.imagesNotFound++;
    if (stats.notFoundShas.length < EXAMPLES) stats.notFoundShas.push(sha);
    return null;
  }
  if (!isPlainObject(body)) throw new ProtocolError(`GET ${path} answered with ${Array.isArray(body) ? 'an array' : typeof body}, not an image`);
  // The details name the image by its sha; an answer without one is still this image.
  const image = normalizeImage({ ...body, sha: typeof body['sha'] === 'string' && body['sha'] !== '' ? body['sha'] : sha }, 'images/details');
  const findings = image.vulnerabilities ?? [];
  if (findings.some((f) => f.qid === null)) {
    throw new ProtocolError(`GET ${path} sent findings without a "qid" for image ${sha}; every finding is keyed by its QID. Report the answer's shape.`);
  }
  stats.findings += findings.length;
  if (options.exceptionDetails !== false && findings.some((f) => f.isExempted === true)) {
    const exception = await exceptionOf(
      image,
      { client: options.client, ...(options.signal ? { signal: options.signal } : {}) },
      exceptions,
      options.now ?? new Date(),
    );
    if (exception !== null) for (const f of findings) if (f.isExempted === true) f.exception = exception;
  }
  return image;
}

/** A batch in pieces whose containers' image findings add up to at most `limit` rows (one container at least). */
function* cut(batch: RunContainer[], limit: number): Generator<RunContainer[]> {
  let start = 0;
  let rows = 0;
  for (let i = 0; i < batch.length; i++) {
    const add = Math.max(1, (batch[i] as RunContainer).image?.vulnerabilities?.length ?? 0);
    if (i > start && rows + add > limit) {
      yield batch.slice(start, i);
      start = i;
      rows = 0;
    }
    rows += add;
  }
  if (start < batch.length) yield batch.slice(start);
}

/** Marks a promise as handled, so that a batch failing while an older one is awaited is not an unhandled rejection. */
function observed<T>(promise: Promise<T>): Promise<T> {
  promise.catch(() => undefined);
  return promise;
}
