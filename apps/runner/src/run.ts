import {
  AbortedError,
  EmptyExportError,
  enrichImages,
  imageSource,
  type EnrichStats,
  RecordsRejectedError,
  type Logger,
  type RunContext,
  type SinkPlugin,
  type SinkSummary,
  type AnySinkPlugin,
  type ClientStats,
  type ImageRecord,
  type SourceStats,
  andFilters,
} from '@qcs-export/core';
import type { Config } from './config/schema.js';
import type { Progress } from './progress.js';
import { checkDistinctOutputs, outputsOf, sweepOutputs } from './outputs.js';
import { runContextFor } from './run-context.js';
import { CLI_SOURCE_ADVICE } from './setting-names.js';
import { prepareSource } from './source-setup.js';
import { labelled, publishAll, type RunSink } from './publish.js';

export interface RunResult {
  records: number;
  pages: number;
  requests: number;
  retries: number;
  rateLimitWaits: number;
  duplicatesDropped: number;
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
  /** The filter sent to Qualys: the config's, with the incremental bound when there is one. */
  effectiveFilter?: string | undefined;
  clientStats?: ClientStats;
  sourceStats?: SourceStats;
  enrichment?: EnrichStats;
  sinkSummaries: Array<SinkSummary & { name: string }>;
  committed: boolean;
}

export interface RunDeps {
  plugins: ReadonlyMap<string, AnySinkPlugin>;
  logger: Logger;
  /** Hides every secret the config names in text a server sent, before the client quotes and cuts it. */
  redact?: (text: string) => string;
  signal: AbortSignal;
  /** Directory relative output paths resolve against. Default: the current working directory. */
  baseDir?: string;
  progress?: Progress;
  /** When the run started: output paths' {date}/{time} and the records' export time. Default: now. */
  startedAt?: Date;
  /** Filled in as the run goes, for the audit manifest. */
  trace?: RunTrace;
  /** Images changed since this time only (epoch ms): the incremental bound, added to the filter as `updated>=`. */
  updatedSince?: number;
  /** A stage between the source and the enrichment: the incremental run drops the overlap it re-reads there. */
  filterBatches?: (batches: AsyncIterable<ImageRecord[]>) => AsyncIterable<ImageRecord[]>;
}

/**
 * One export: source → every sink. Each batch goes to all sinks at once and the next batch waits for all of them
 * (the backpressure). Any failure, or an interrupt, aborts every sink, so no partial file is left under a final name;
 * the end is a two-phase commit (prepare every sink, then publish each), so no previous output is replaced unless
 * every sink got its whole output safely to disk.
 */
export async function runExport(config: Config, deps: RunDeps): Promise<RunResult> {
  const started = deps.startedAt?.getTime() ?? Date.now();
  const { logger, signal } = deps;
  const baseCtx = runContextFor(config, { sourceLabel: 'pending', logger, signal, baseDir: deps.baseDir, startedAt: new Date(started) });
  checkDistinctOutputs(config.sinks, deps.plugins, baseCtx);
  await sweepOutputs(outputsOf(config.sinks, deps.plugins, baseCtx), logger);
  deps.progress?.phase('connecting to Qualys…');
  const prepared = await prepareSource(config.source, logger, deps.redact, config.credentialOrigins);
  const ctx: RunContext = {
    ...baseCtx,
    sourceLabel: prepared.label,
    coverage: deps.updatedSince !== undefined ? 'changes' : 'full',
    ...(deps.trace ? { runId: deps.trace.runId } : {}),
    ...(deps.redact ? { redact: deps.redact } : {}),
  };
  const filter = andFilters(config.source.filter, deps.updatedSince !== undefined ? `updated>=${deps.updatedSince}` : undefined);
  const sinks: RunSink[] = config.sinks.map((s) => ({
    name: s.name,
    type: s.type,
    sink: (deps.plugins.get(s.type) as SinkPlugin<unknown>).create(s.options, ctx),
  }));
  // Sinks whose open() succeeded: only those can have sent anything, so only those get the "what it sent stays" warning.
  const opened = new Set<RunSink>();
  const images = imageSource({
    client: prepared.client,
    strategy: config.source.strategy,
    filter,
    pageSize: config.source.pageSize,
    resultCap: config.source.resultCap,
    prefetch: config.source.prefetch,
    concurrency: config.source.concurrency,
    signal,
    logger,
    // With enrichment the source reads ahead of the findings calls, so progress counts enriched images instead.
    onPage: (info) => (config.source.vulnerabilities ? undefined : deps.progress?.update(info)),
    advice: CLI_SOURCE_ADVICE,
  });
  const read = deps.filterBatches ? deps.filterBatches(images) : images;
  const enrichment = config.source.vulnerabilities
    ? enrichImages(read, {
        client: prepared.client,
        from: config.source.vulnerabilities.from,
        concurrency: config.source.vulnerabilities.concurrency,
        includeClean: config.source.vulnerabilities.includeClean,
        signal,
        logger,
      })
    : undefined;
  const source = { stats: images.stats, batches: enrichment ?? read };
  if (deps.trace)
    Object.assign(deps.trace, { sourceLabel: prepared.label, effectiveFilter: filter, clientStats: prepared.client.stats, sourceStats: images.stats });
  if (deps.trace && enrichment) deps.trace.enrichment = enrichment.stats;

  const pages = source.batches[Symbol.asyncIterator]();
  let enrichedBatches = 0;
  let enrichedImages = 0;
  try {
    // The first page (login included) comes before any sink opens: bad credentials or a rejected filter
    // then fail the run without creating a single file or directory.
    let next = await pages.next();
    await Promise.all(sinks.map((entry) => entry.sink.open().then(() => opened.add(entry))));
    for (; !next.done; next = await pages.next()) {
      if (signal.aborted) throw new AbortedError();
      const batch = next.value;
      await Promise.all(sinks.map(({ name, sink }) => sink.write(batch).catch((e: unknown) => Promise.reject(labelled(name, e)))));
      if (enrichment) {
        enrichedImages += batch.length;
        deps.progress?.update({ page: ++enrichedBatches, records: batch.length, totalRecords: enrichedImages, expectedTotal: images.stats.expectedAtStart });
      }
    }
    if (signal.aborted) throw new AbortedError();
    // An incremental run that finds no change is not an empty export: the sinks hold the inventory already.
    if (source.stats.records === 0 && deps.updatedSince === undefined) {
      const what = config.source.filter ? `the filter ${config.source.filter}` : 'the subscription';
      if (config.run.failOnEmpty) {
        throw new EmptyExportError(
          `Qualys holds no image for ${what}; nothing was written (run.failOnEmpty). Check source.filter, and the user's scope in Qualys.`,
        );
      }
      logger.warn(`Qualys holds no image for ${what}: every output is empty. Check source.filter; set run.failOnEmpty: true to make this a failure (exit 5).`);
    }
    // Two-phase commit: every sink finishes and syncs its output first; only when all have, each one publishes
    // (renames into place). A sink failing at the end (a full disk at the last flush, a refresh answered 503) thus
    // aborts the others before any has replaced its previous output.
    // Finishing can take a while (a large workbook is zipped at the end): say so instead of sitting at 100%.
    deps.progress?.phase(`finishing ${config.sinks.map((s) => `${s.name} (${s.type})`).join(', ')}…`);
    await Promise.all(sinks.map(({ name, sink }) => sink.prepare?.().catch((e: unknown) => Promise.reject(labelled(name, e)))));
    if (signal.aborted) throw new AbortedError();
    // Publish all or nothing: a sink that fails to publish, or does not account for every record it was given,
    // makes every sink that already published put its previous output back.
    const summaries = await publishAll(sinks, logger, signal, (published) => {
      if (deps.trace) deps.trace.sinkSummaries = published;
    });
    if (deps.trace) deps.trace.committed = true;
    deps.progress?.done();
    const stats = prepared.client.stats;
    const rejected = summaries.reduce((n, s) => n + s.rejected, 0);
    const result: RunResult = {
      records: source.stats.records,
      pages: source.stats.pages,
      requests: stats.requests,
      retries: stats.retries,
      rateLimitWaits: stats.rateLimitWaits,
      duplicatesDropped: source.stats.duplicatesDropped,
      durationMs: Date.now() - started,
      source: prepared.label,
      strategy: source.stats.strategy,
      strategyReason: source.stats.strategyReason,
      selfTest: source.stats.selfTest,
      expectedAtStart: source.stats.expectedAtStart,
      countAtEnd: source.stats.countAtEnd,
      changedDuringRun: source.stats.changedDuringRun,
      repairPasses: source.stats.repairPasses,
      // Enriched records carry counts derived from their findings, whatever the strategy.
      severityCounts: enrichment ? 'present' : source.stats.severityCounts,
      ...(enrichment ? { enrichment: { ...enrichment.stats } } : {}),
      sinks: summaries,
      rejected,
    };
    return result;
  } catch (error) {
    deps.progress?.done();
    const reason = signal.aborted ? new AbortedError() : error;
    await Promise.all(sinks.map(({ sink }) => sink.abort(reason).catch((e: unknown) => logger.warn(`aborting a sink failed: ${(e as Error).message}`))));
    warnAboutIncrementalSinks(
      config,
      sinks.filter((entry) => opened.has(entry)),
      deps.plugins,
      logger,
    );
    throw reason;
  } finally {
    await pages.return?.();
    await prepared.close();
  }
}

/**
 * An atomic sink's abort leaves its previous output as it was; an incremental one (an index, stdout) keeps what it
 * sent before the failure. Say so, so nobody takes a half-filled index for a finished export.
 */
function warnAboutIncrementalSinks(config: Config, opened: readonly RunSink[], plugins: ReadonlyMap<string, AnySinkPlugin>, logger: Logger): void {
  for (const s of config.sinks) {
    if (!opened.some((entry) => entry.name === s.name && entry.type === s.type)) continue;
    if ((plugins.get(s.type) as SinkPlugin<unknown>).commit(s.options) !== 'incremental') continue;
    logger.warn(`sink "${s.name}" (${s.type}) writes as it goes: what it sent before the failure stays there; re-run the export to complete it`);
  }
}

/** The rejected-records outcome is reported after the summary, as exit code 3. */
export function rejectedError(result: RunResult): RecordsRejectedError | undefined {
  if (result.rejected === 0) return undefined;
  return new RecordsRejectedError(result.rejected, `${result.rejected} records were rejected by a sink; see its dead-letter output in the summary above`);
}
