import { enrichImages, enrichSoftware, type EnrichStats, type ImageRecord, type Logger, type QualysClient, type SoftwareStats } from '@qcs-export/core';
import type { SourceConfig } from '../../config/schema.js';

/** The batches a run hands to its sinks, and what enriching them cost, when the config asks for findings. */
export interface EnrichmentStage {
  batches: AsyncIterable<ImageRecord[]>;
  stats: EnrichStats | undefined;
  /** When a sink writes the software grain: the inventory calls. */
  software?: SoftwareStats;
}

/**
 * The stage after the source (and the overlap filter): with source.vulnerabilities, each image gets its findings,
 * fetched as the batches pass; when a sink writes the software grain, its installed packages too
 * (`/images/{sha}/software`); without either, the batches pass through unchanged and nothing is requested.
 */
export function enrich(
  batches: AsyncIterable<ImageRecord[]>,
  source: SourceConfig,
  client: QualysClient,
  options: { signal: AbortSignal; logger: Logger; now: Date; software?: boolean },
): EnrichmentStage {
  const stage = findings(batches, source, client, options);
  if (!options.software) return stage;
  // After the findings, so an image carries both; on the same /images/** budget, with the findings' concurrency.
  const withSoftware = enrichSoftware(stage.batches, {
    client,
    concurrency: source.vulnerabilities?.concurrency ?? 32,
    signal: options.signal,
    logger: options.logger,
  });
  return { batches: withSoftware, stats: stage.stats, software: withSoftware.stats };
}

function findings(
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
