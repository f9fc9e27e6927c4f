import { silentLogger } from '../logger.js';
import type { ImageRecord } from '../record.js';
import { mismatchWarning } from './count-check.js';
import { Limiter } from './limiter.js';
import { enrichImage } from './enrich-image.js';
import type { EnrichOptions, EnrichStats, FindingsEndpoint } from './enrich-types.js';

export type { EnrichOptions, EnrichStats, FindingsEndpoint } from './enrich-types.js';

/**
 * Adds each image's findings to it, batch by batch, with at most `concurrency` calls in flight, and hands the batches
 * on in order. The source's pages are cut into batches of `batchImages`; the next batch's calls start while the
 * current one's last calls are still out (a barrier between batches would leave the rate budget idle at every batch's
 * tail), and the consumer writes one batch while the next is fetched. So memory holds at most two batches and their
 * findings, whatever the export size or the number of findings per image.
 * An image's severity counts are derived from its findings where the list gave none (the bulk strategy), so no
 * output shows unknown counts as zero; an image never scanned keeps null counts. Disagreements between the list's
 * counts and the findings are counted and told in one warning at the end.
 */
export function enrichImages(batches: AsyncIterable<ImageRecord[]>, options: EnrichOptions): AsyncIterable<ImageRecord[]> & { readonly stats: EnrichStats } {
  const stats: EnrichStats = {
    calls: 0,
    skippedClean: 0,
    missing: 0,
    missingShas: [],
    rechecks: 0,
    findings: 0,
    exempted: 0,
    exceptionCalls: 0,
    exceptionsForbidden: 0,
    exceptionsUnknown: 0,
    notScanned: 0,
    countMismatches: 0,
    mismatchExamples: [],
  };
  const logger = options.logger ?? silentLogger;
  const concurrency = Math.max(1, options.concurrency ?? 32);
  return {
    stats,
    async *[Symbol.asyncIterator]() {
      const source = inBatchesOf(batches, options.batchImages ?? Math.max(64, 4 * concurrency))[Symbol.asyncIterator]();
      // The first failed call fails the export: calls still waiting would only spend rate budget on a lost run.
      const slots = new Limiter(concurrency, { signal: options.signal, stopOnFailure: true });
      /** Batches whose calls are out, oldest first: the one awaited and the one behind it. */
      const inFlight: Promise<ImageRecord[]>[] = [];
      let sourceDone = false;
      try {
        for (;;) {
          while (!sourceDone && inFlight.length < 2) {
            const next = await source.next();
            if (next.done) sourceDone = true;
            else inFlight.push(observed(Promise.all(next.value.map((image) => slots.run(() => enrichImage(image, options, stats))))));
          }
          const head = inFlight.shift();
          if (head === undefined) {
            if (stats.countMismatches > 0) logger.warn(mismatchWarning(stats.countMismatches, stats.mismatchExamples, endpointName(options.from)));
            if (stats.exceptionsForbidden > 0) {
              logger.warn(
                `GET /csapi/v1.3/images/{sha}/exceptions answered 403 Forbidden: the exempted findings of ${stats.exceptionsForbidden} images are ` +
                  "marked exempted without the exception's name, reason and end date. Give the API user permission to read exceptions, " +
                  'or set source.vulnerabilities.exceptionDetails: false to not ask.',
              );
            }
            return;
          }
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

function endpointName(from: FindingsEndpoint | undefined): string {
  return from === 'vuln' ? 'GET /csapi/v1.3/images/{sha}/vuln' : 'GET /csapi/v1.3/images/{sha}';
}

/** Marks a promise as handled, so that a batch failing while an older one is awaited is not an unhandled rejection. */
function observed<T>(promise: Promise<T>): Promise<T> {
  promise.catch(() => undefined);
  return promise;
}

async function* inBatchesOf(batches: AsyncIterable<ImageRecord[]>, size: number): AsyncGenerator<ImageRecord[]> {
  for await (const batch of batches) for (let i = 0; i < batch.length; i += size) yield batch.slice(i, i + size);
}
