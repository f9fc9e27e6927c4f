import {
  emptySourceStats,
  RecordsRejectedError,
  type ClientStats,
  type EnrichStats,
  type ImageLookupStats,
  type SinkSummary,
  type SoftwareStats,
  type SourceStats,
} from '@qcs-export/core';

/** What reading the containers did (a run whose sinks write a container grain). */
export interface ContainersRead {
  /** The filter sent to Qualys (source.containers.filter); undefined for every container. */
  filter: string | undefined;
  records: number;
  pages: number;
  strategy: string | undefined;
  strategyReason: string | undefined;
  expectedAtStart: number | undefined;
  countAtEnd: number | undefined;
  changedDuringRun: number;
  duplicatesDropped: number;
  rereadToVerify: number;
  /** With source.vulnerabilities: one `GET /images/{sha}` per distinct image the containers run. */
  imageLookups?: ImageLookupStats;
}

export interface RunResult {
  records: number;
  pages: number;
  requests: number;
  retries: number;
  rateLimitWaits: number;
  duplicatesDropped: number;
  /** Images a page-number read went over again to prove its result whole: not duplicates. */
  rereadToVerify: number;
  durationMs: number;
  source: string;
  /** The strategy the source used (auto resolves to one of them) and why. */
  strategy: string | undefined;
  strategyReason: string | undefined;
  /** The forms auto's self-test tried on this server, when it ran. */
  selfTest: Array<{ form: string; ok: boolean; detail: string }> | undefined;
  /** The server's count for the filter at the start and at the end of the run. */
  expectedAtStart: number | undefined;
  countAtEnd: number | undefined;
  /** Images delivered that were rescanned or added while the run went on. */
  changedDuringRun: number;
  /** Extra passes the source made to account for every image. */
  repairPasses: number;
  /** "absent" when the strategy's records carry no severity counts (bulk): they are null, never 0. */
  severityCounts: 'present' | 'absent';
  /** With source.vulnerabilities: the calls made for findings, the images that needed none, and those gone since the list. */
  enrichment?: EnrichStats;
  /** When a sink writes the software grain: the `/images/{sha}/software` calls and the packages read. */
  software?: SoftwareStats;
  /** Whether the run read the images: a run whose sinks all write containers reads none, and the figures above are 0. */
  imagesRead: boolean;
  /** When a sink writes a container grain: the containers read. */
  containers?: ContainersRead;
  sinks: SinkSummary[];
  rejected: number;
}

/**
 * What a run has done so far, filled in as it goes, so that a manifest can tell it even when the run fails half-way.
 * `committed` turns true once every sink has published its output.
 */
export interface RunTrace {
  runId: string;
  sourceLabel?: string;
  /** The filter sent to Qualys: the config's, with the incremental run's `updated>=` bound when there is one. */
  effectiveFilter?: string | undefined;
  clientStats?: ClientStats;
  sourceStats?: SourceStats;
  enrichment?: EnrichStats;
  containers?: { filter: string | undefined; stats: SourceStats; lookups?: ImageLookupStats };
  sinkSummaries: Array<SinkSummary & { name: string }>;
  committed: boolean;
}

/** The figures of a finished run, from what each stage counted. */
export function resultOf(parts: {
  source: { label: string; stats: SourceStats | undefined; client: ClientStats };
  enrichment: EnrichStats | undefined;
  software?: SoftwareStats | undefined;
  containers: { filter: string | undefined; stats: SourceStats; lookups: ImageLookupStats | undefined } | undefined;
  summaries: SinkSummary[];
  startedMs: number;
}): RunResult {
  const { client } = parts.source;
  const stats = parts.source.stats ?? emptySourceStats();
  const c = parts.containers;
  const enrichment = parts.enrichment;
  return {
    records: stats.records,
    pages: stats.pages,
    requests: client.requests,
    retries: client.retries,
    rateLimitWaits: client.rateLimitWaits,
    duplicatesDropped: stats.duplicatesDropped,
    rereadToVerify: stats.rereadToVerify,
    durationMs: Date.now() - parts.startedMs,
    source: parts.source.label,
    strategy: stats.strategy,
    strategyReason: stats.strategyReason,
    selfTest: stats.selfTest,
    expectedAtStart: stats.expectedAtStart,
    countAtEnd: stats.countAtEnd,
    changedDuringRun: stats.changedDuringRun,
    repairPasses: stats.repairPasses,
    // Enriched records carry counts derived from their findings, whatever the strategy.
    severityCounts: enrichment ? 'present' : stats.severityCounts,
    ...(enrichment ? { enrichment: { ...enrichment } } : {}),
    ...(parts.software ? { software: { ...parts.software } } : {}),
    imagesRead: parts.source.stats !== undefined,
    ...(c
      ? {
          containers: {
            filter: c.filter,
            records: c.stats.records,
            pages: c.stats.pages,
            strategy: c.stats.strategy,
            strategyReason: c.stats.strategyReason,
            expectedAtStart: c.stats.expectedAtStart,
            countAtEnd: c.stats.countAtEnd,
            changedDuringRun: c.stats.changedDuringRun,
            duplicatesDropped: c.stats.duplicatesDropped,
            rereadToVerify: c.stats.rereadToVerify,
            ...(c.lookups ? { imageLookups: { ...c.lookups } } : {}),
          },
        }
      : {}),
    sinks: parts.summaries,
    rejected: parts.summaries.reduce((n, s) => n + s.rejected, 0),
  };
}

/** The rejected-records outcome is reported after the summary, as exit code 3. */
export function rejectedError(result: RunResult): RecordsRejectedError | undefined {
  if (result.rejected === 0) return undefined;
  return new RecordsRejectedError(result.rejected, `${result.rejected} records were rejected by a sink; see its dead-letter output in the summary above`);
}
