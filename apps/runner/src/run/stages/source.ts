import { andFilters, imageSource, type ImageRecord, type Logger, type QualysClient, type SourceStats } from '@qcs-export/core';
import type { SourceConfig } from '../../config/schema.js';
import type { Progress } from '../../progress.js';
import { CLI_SOURCE_ADVICE } from '../../setting-names.js';

/** The images a run reads, as batches, with what the source counted while reading them. */
export interface SourceStage {
  /** The filter sent to Qualys: the config's, with the incremental run's `updated>=` bound when there is one. */
  filter: string | undefined;
  batches: AsyncIterable<ImageRecord[]>;
  stats: SourceStats;
}

/**
 * The first stage: every image the filter matches (or, with `updatedSince`, every one changed since then), each once,
 * in batches. The source proves the read complete when it ends, or throws; nothing is requested until the first batch
 * is pulled.
 */
export function readSource(
  source: SourceConfig,
  client: QualysClient,
  options: { signal: AbortSignal; logger: Logger; progress?: Progress | undefined; updatedSince?: number | undefined },
): SourceStage {
  const filter = andFilters(source.filter, options.updatedSince !== undefined ? `updated>=${options.updatedSince}` : undefined);
  const images = imageSource({
    client,
    strategy: source.strategy,
    filter,
    pageSize: source.pageSize,
    resultCap: source.resultCap,
    prefetch: source.prefetch,
    concurrency: source.concurrency,
    signal: options.signal,
    logger: options.logger,
    // With enrichment the source reads ahead of the findings calls, so progress counts enriched images instead.
    onPage: (info) => (source.vulnerabilities ? undefined : options.progress?.update(info)),
    advice: CLI_SOURCE_ADVICE,
  });
  return { filter, batches: images, stats: images.stats };
}
