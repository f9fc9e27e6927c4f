import {
  containerSource,
  lookUpImages,
  type ContainerRecord,
  type ImageCache,
  type ImageLookupStats,
  type Logger,
  type QualysClient,
  type RunContainer,
  type SourceStats,
} from '@qcs-export/core';
import type { SourceConfig } from '../../config/schema.js';
import type { Progress } from '../../progress.js';
import { CLI_SOURCE_ADVICE } from '../../setting-names.js';

/** The containers a run reads, as batches with the image each runs when the run looks images up, and what it cost. */
export interface ContainerStage {
  /** The filter sent to Qualys (source.containers.filter), undefined for every container. */
  filter: string | undefined;
  batches: AsyncIterable<RunContainer[]>;
  stats: SourceStats;
  /** With source.vulnerabilities: the image lookups, one per distinct image the containers run. */
  lookups: ImageLookupStats | undefined;
}

/**
 * The containers stage of a run whose sinks write a container grain: every container the filter matches, each once,
 * with the guarantees of the image source (strategies, ledger, completeness verdict). With source.vulnerabilities each
 * image the containers run is looked up once (`GET /images/{sha}`) for its repositories and findings; without, the
 * containers come without their image.
 */
export function readContainers(
  source: SourceConfig,
  client: QualysClient,
  options: { signal: AbortSignal; logger: Logger; progress?: Progress | undefined; now: Date; images?: ImageCache | undefined },
): ContainerStage {
  const settings = source.containers;
  const filter = settings.filter.trim() || undefined;
  const containers = containerSource({
    client,
    strategy: settings.strategy,
    filter,
    pageSize: settings.pageSize,
    prefetch: source.prefetch,
    concurrency: source.concurrency,
    signal: options.signal,
    logger: options.logger,
    onPage: (info) => options.progress?.update(info),
    advice: CLI_SOURCE_ADVICE,
  });
  const wanted = source.vulnerabilities;
  if (!wanted) return { filter, batches: withoutImages(containers), stats: containers.stats, lookups: undefined };
  const looked = lookUpImages(containers, {
    client,
    concurrency: wanted.concurrency,
    exceptionDetails: wanted.exceptionDetails,
    now: options.now,
    ...(options.images ? { cache: options.images } : {}),
    signal: options.signal,
    logger: options.logger,
  });
  return { filter, batches: looked, stats: containers.stats, lookups: looked.stats };
}

async function* withoutImages(batches: AsyncIterable<ContainerRecord[]>): AsyncGenerator<RunContainer[]> {
  for await (const batch of batches) yield batch.map((container) => ({ container, image: null }));
}
