import { silentLogger } from '../logger.js';
import type { ImageRecord } from '../record.js';
import { mismatchWarning } from './count-check.js';
import { enrichImage } from './enrich-image.js';
import { perImage } from './per-image.js';
import { emptyEnrichStats, type EnrichOptions, type EnrichStats, type FindingsEndpoint } from './enrich-types.js';

export type { EnrichOptions, EnrichStats, FindingsEndpoint } from './enrich-types.js';

/**
 * Adds each image's findings to it, batch by batch, with at most `concurrency` calls in flight, and hands the batches
 * on in order: perImage's loop, shared with the software inventory. The source's pages are cut into batches of
 * `batchImages`; the next batch's calls start while the current one's last calls are still out, and the consumer
 * writes one batch while the next is fetched. So memory holds at most two batches and their findings, whatever the
 * export size or the number of findings per image.
 * An image's severity counts are derived from its findings where the list gave none (the bulk strategy), so no
 * output shows unknown counts as zero; an image never scanned keeps null counts. Disagreements between the list's
 * counts and the findings are counted and told in one warning at the end.
 */
export function enrichImages(batches: AsyncIterable<ImageRecord[]>, options: EnrichOptions): AsyncIterable<ImageRecord[]> & { readonly stats: EnrichStats } {
  const stats: EnrichStats = emptyEnrichStats();
  const logger = options.logger ?? silentLogger;
  const concurrency = Math.max(1, options.concurrency ?? 32);
  return {
    stats,
    async *[Symbol.asyncIterator]() {
      const batchSize = options.batchImages ?? Math.max(64, 4 * concurrency);
      yield* perImage(batches, (image, signal) => enrichImage(image, { ...options, signal }, stats), { concurrency, batchSize, signal: options.signal });
      if (stats.countMismatches > 0) logger.warn(mismatchWarning(stats.countMismatches, stats.mismatchExamples, endpointName(options.from)));
      if (stats.exceptionsForbidden > 0) {
        logger.warn(
          `GET /csapi/v1.3/images/{sha}/exceptions answered 403 Forbidden: the exempted findings of ${stats.exceptionsForbidden} images are ` +
            "marked exempted without the exception's name, reason and end date. Give the API user permission to read exceptions, " +
            'or set source.vulnerabilities.exceptionDetails: false to not ask.',
        );
      }
    },
  };
}

function endpointName(from: FindingsEndpoint | undefined): string {
  return from === 'vuln' ? 'GET /csapi/v1.3/images/{sha}/vuln' : 'GET /csapi/v1.3/images/{sha}';
}
