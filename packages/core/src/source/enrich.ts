import type { QualysGetter } from '../client/types.js';
import { AbortedError, HttpError, ProtocolError } from '../errors.js';
import { silentLogger, type Logger } from '../logger.js';
import { normalizeImage } from '../normalize/normalize-image.js';
import type { ImageRecord } from '../record.js';

/** Where an image's findings come from: the image details (one call, the Splunk add-on's choice) or `/vuln`. */
export type FindingsEndpoint = 'details' | 'vuln';

export interface EnrichOptions {
  client: QualysGetter;
  /** Default: "details". */
  from?: FindingsEndpoint;
  /**
   * Calls in flight at once. The client's rate governor paces them to the `/images/**` budget (5,000 a minute, shared
   * with every other tool of the subscription), so this bounds latency-bound throughput, not the rate: at 0.4 s a
   * call, 32 in flight reach about 80 calls a second, the whole budget. Default: 32.
   */
  concurrency?: number;
  /**
   * Images per batch handed on. A page of 1,000 images with a hundred findings each is 100,000 findings; handing them
   * on in smaller batches keeps memory to what a few dozen images hold. Default: 4 × concurrency, at least 64.
   */
  batchImages?: number;
  signal?: AbortSignal;
  logger?: Logger;
}

export interface EnrichStats {
  /** Detail or /vuln calls made. */
  calls: number;
  /** Images whose counts say they have no vulnerability: no call needed. */
  skippedClean: number;
  /** Images gone between the list and their details (204 or 404): exported without findings, and reported. */
  missing: number;
  /** Findings read. */
  findings: number;
}

/**
 * Adds each image's findings to it, batch by batch, with at most `concurrency` calls in flight, and hands the batches
 * on in order. The source's pages are cut into batches of `batchImages`; the next batch's calls start while the
 * current one's last calls are still out (a barrier between batches would leave the rate budget idle at every batch's
 * tail), and the consumer writes one batch while the next is fetched. So memory holds at most two batches and their
 * findings, whatever the export size or the number of findings per image.
 * An image's severity counts are derived from its findings where the list gave none (the bulk strategy), so no
 * output shows unknown counts as zero.
 */
export function enrichImages(batches: AsyncIterable<ImageRecord[]>, options: EnrichOptions): AsyncIterable<ImageRecord[]> & { readonly stats: EnrichStats } {
  const stats: EnrichStats = { calls: 0, skippedClean: 0, missing: 0, findings: 0 };
  const concurrency = Math.max(1, options.concurrency ?? 32);
  return {
    stats,
    async *[Symbol.asyncIterator]() {
      const source = inBatchesOf(batches, options.batchImages ?? Math.max(64, 4 * concurrency))[Symbol.asyncIterator]();
      const slots = new CallSlots(concurrency, options.signal);
      /** Batches whose calls are out, oldest first: the one awaited and the one behind it. */
      const inFlight: Promise<ImageRecord[]>[] = [];
      let sourceDone = false;
      try {
        for (;;) {
          while (!sourceDone && inFlight.length < 2) {
            const next = await source.next();
            if (next.done) sourceDone = true;
            else inFlight.push(observed(Promise.all(next.value.map((image) => slots.run(() => enrich(image, options, stats))))));
          }
          const head = inFlight.shift();
          if (head === undefined) return;
          yield await head;
        }
      } finally {
        // A failed call, or a consumer that stops early (a sink failed), must not leave calls unobserved or queued.
        slots.close();
        await Promise.allSettled(inFlight);
        await source.return?.(undefined);
      }
    },
  };
}

/** Marks a promise as handled, so that a batch failing while an older one is awaited is not an unhandled rejection. */
function observed<T>(promise: Promise<T>): Promise<T> {
  promise.catch(() => undefined);
  return promise;
}

/** At most `limit` tasks running at once, started first come, first served; once closed, waiting tasks never start. */
class CallSlots {
  private running = 0;
  private closed = false;
  /** The first task's failure: tasks that never start fail with it too, so whichever batch is awaited tells the cause. */
  private failure: unknown;
  private readonly waiting: Array<() => void> = [];

  constructor(
    private readonly limit: number,
    private readonly signal: AbortSignal | undefined,
  ) {}

  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.running >= this.limit) await new Promise<void>((resolve) => this.waiting.push(resolve));
    else this.running++;
    try {
      if (this.closed) throw this.failure ?? new AbortedError();
      if (this.signal?.aborted) throw new AbortedError();
      return await task();
    } catch (error) {
      // The first failure fails the export: tasks still waiting would only spend rate budget on a lost run.
      if (!this.closed) this.failure = error;
      this.closed = true;
      throw error;
    } finally {
      // The slot passes straight to the next waiter, so `running` never dips and lets a newcomer jump the queue.
      const next = this.waiting.shift();
      if (next) next();
      else this.running--;
    }
  }

  close(): void {
    this.closed = true;
  }
}

async function enrich(image: ImageRecord, options: EnrichOptions, stats: EnrichStats): Promise<ImageRecord> {
  if (image.vulnerabilityCounts?.total === 0) {
    stats.skippedClean++;
    return { ...image, vulnerabilities: [] };
  }
  const from = options.from ?? 'details';
  const path = `/csapi/v1.3/images/${encodeURIComponent(image.sha)}${from === 'vuln' ? '/vuln' : ''}`;
  stats.calls++;
  let body: unknown;
  try {
    body = (await options.client.get(path, from === 'vuln' ? { type: 'DETAILS' } : {}, options.signal ? { signal: options.signal } : {})).body;
  } catch (error) {
    if (!(error instanceof HttpError && error.status === 404)) throw error;
    body = null;
  }
  const field = from === 'vuln' ? 'details' : 'vulnerabilities';
  const raw = body === null || typeof body !== 'object' ? undefined : (body as Record<string, unknown>)[field];
  if (body !== null && !Array.isArray(raw)) {
    // An answer without a findings list for an image the list says is vulnerable is not "no findings": exporting it
    // so would drop them without a trace. An image with no (or unknown) counts may well have none.
    if ((image.vulnerabilityCounts?.total ?? 0) > 0) {
      throw new ProtocolError(
        `GET ${path} answered without a "${field}" list, although the image list counts ${image.vulnerabilityCounts?.total} vulnerabilities ` +
          `for image ${image.sha}; the findings cannot be exported. Run the export again; if this repeats, the server's answer has ` +
          `a shape this version does not read: report it.`,
      );
    }
    return { ...image, vulnerabilities: [] };
  }
  if (body === null || !Array.isArray(raw)) {
    stats.missing++;
    (options.logger ?? silentLogger).warn(
      `image ${image.sha.slice(0, 12)} has no ${from === 'vuln' ? '/vuln' : 'details'} answer (removed since the list was read?); exported without findings`,
    );
    return image;
  }
  // The findings through the same normalizer as every record, so they follow the same rules (dates, counts, extra).
  const parsed = normalizeImage({ sha: image.sha, vulnerabilities: raw }, 'images/details');
  // Every finding row is keyed by its QID: one without could only be dropped, so it fails the run instead.
  const unkeyed = parsed.vulnerabilities?.filter((f) => f.qid === null).length ?? 0;
  if (unkeyed > 0 || (parsed.vulnerabilities?.length ?? 0) !== raw.length) {
    throw new ProtocolError(
      `GET ${path} sent ${unkeyed > 0 ? `${unkeyed} findings without a "qid"` : 'findings that are not objects'} for image ${image.sha}; ` +
        `every finding is keyed by its QID, so the export cannot continue. Report the answer's shape.`,
    );
  }
  stats.findings += parsed.vulnerabilities?.length ?? 0;
  return { ...image, vulnerabilities: parsed.vulnerabilities, vulnerabilityCounts: image.vulnerabilityCounts ?? parsed.vulnerabilityCounts };
}

async function* inBatchesOf(batches: AsyncIterable<ImageRecord[]>, size: number): AsyncGenerator<ImageRecord[]> {
  for await (const batch of batches) for (let i = 0; i < batch.length; i += size) yield batch.slice(i, i + size);
}
