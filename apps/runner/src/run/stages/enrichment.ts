import { enrichImages, type EnrichStats, type ImageRecord, type Logger, type QualysClient } from '@qcs-export/core';
import type { SourceConfig } from '../../config/schema.js';

/** The batches a run hands to its sinks, and what enriching them cost, when the config asks for findings. */
export interface EnrichmentStage {
  batches: AsyncIterable<ImageRecord[]>;
  stats: EnrichStats | undefined;
}

/**
 * The stage after the source (and the overlap filter): with source.vulnerabilities, each image gets its findings,
 * fetched as the batches pass; without, the batches pass through unchanged and nothing is requested.
 */
export function enrich(
  batches: AsyncIterable<ImageRecord[]>,
  source: SourceConfig,
  client: QualysClient,
  options: { signal: AbortSignal; logger: Logger; now: Date },
): EnrichmentStage {
  const wanted = source.vulnerabilities;
  if (!wanted) return { batches, stats: undefined };
  const enriched = enrichImages(batches, {
    client,
    from: wanted.from,
    concurrency: wanted.concurrency,
    includeClean: wanted.includeClean,
    exceptionDetails: wanted.exceptionDetails,
    now: options.now,
    signal: options.signal,
    logger: options.logger,
  });
  return { batches: enriched, stats: enriched.stats };
}
