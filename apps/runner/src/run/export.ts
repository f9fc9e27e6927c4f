import {
  AbortedError,
  ImageCache,
  SinkError,
  type AnySinkPlugin,
  type FindingRecord,
  type ImageRecord,
  type Logger,
  type QualysClient,
  type RunComparison,
  type RunContext,
  type SourceStats,
} from '@qcs-export/core';
import { isSimulatorSource, type Config } from '../config/schema.js';
import { checkDistinctOutputs, outputsOf, sweepOutputs } from '../outputs.js';
import type { Progress } from '../progress.js';
import { prepareSource } from '../source-setup.js';
import { checkNotEmpty } from './empty-export.js';
import { resultOf, type RunResult, type RunTrace } from './result.js';
import { runContextFor } from './run-context.js';
import { abortRunSinks, createRunSinks, labelled, listsRead, type RunSink } from './run-sinks.js';
import { readContainers } from './stages/containers.js';
import { enrich } from './stages/enrichment.js';
import { fanOut } from './stages/fan-out.js';
import type { OverlapTracker } from './stages/overlap-filter.js';
import { prepareAll, publishAll } from './stages/publish.js';
import { readSource } from './stages/source.js';

export type { RunResult, RunTrace } from './result.js';

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
  /** Sees what the run exports, and with --compare-to compares it with a previous run (scheduled-run.ts). */
  observer?: RunObserver;
}

/**
 * What a scheduled run keeps of the findings (its findings file) and compares them with (`--compare-to`): it sees
 * each batch once every sink took it, and after the source ended hands the findings sinks the findings that are gone.
 */
export interface RunObserver {
  /** The previous run, for the sinks' `change` of each finding row (RunContext.compare). */
  comparison?: RunComparison;
  batch(batch: readonly ImageRecord[]): Promise<void>;
  /** After the last batch, before any sink finishes: rows handed to `hand` go to every sink that writes findings. */
  end(hand: (rows: readonly FindingRecord[]) => Promise<void>): Promise<void>;
}

/** What a run reads, as a run with a state plans it (scheduled-run.ts); a run without one reads everything. */
export interface ReadPlan {
  /** Only the images changed since this time (epoch ms): an incremental run, whose filter gets `updated>=` it. */
  updatedSince?: number;
  /** The overlap filter of a run with a state, full or incremental: it also keeps the next high-water mark. */
  overlap?: OverlapTracker;
}

/**
 * One export, in five stages: source → overlap filter (with a state) → enrichment (with source.vulnerabilities) →
 * fan-out to every sink → publish (a two-phase commit: prepare every sink, then publish each, all or nothing). A run
 * whose sinks write a container grain reads the containers after the images (or alone), with the image each runs
 * looked up once per image, into the same sinks before that one publish. Any failure, or an interrupt, aborts every
 * sink, so no partial file is left under a final name and no previous output is replaced unless every sink got its
 * whole output safely to disk.
 */
export async function runExport(config: Config, deps: RunDeps, read: ReadPlan = {}): Promise<RunResult> {
  const startedMs = deps.startedAt?.getTime() ?? Date.now();
  const { logger, signal, progress, trace } = deps;
  const baseCtx = runContextFor(config, { sourceLabel: 'pending', logger, signal, baseDir: deps.baseDir, startedAt: new Date(startedMs) });
  checkDistinctOutputs(config.sinks, deps.plugins, baseCtx);
  await sweepOutputs(outputsOf(config.sinks, deps.plugins, baseCtx), logger);
  progress?.phase(isSimulatorSource(config.source) ? 'starting the embedded Qualys simulator…' : 'connecting to Qualys…');
  const prepared = await prepareSource(config.source, logger, deps.redact, config.credentialOrigins);
  const coverage = read.updatedSince !== undefined ? 'changes' : 'full';
  const ctx: RunContext = {
    ...baseCtx,
    sourceLabel: prepared.label,
    coverage,
    ...(trace ? { runId: trace.runId } : {}),
    ...(deps.redact ? { redact: deps.redact } : {}),
    ...(deps.observer?.comparison ? { compare: deps.observer.comparison } : {}),
  };
  const sinks = createRunSinks(config.sinks, deps.plugins, ctx);
  const lists = listsRead(config.sinks, deps.plugins);
  const images = lists.images ? readImages(config, prepared.client, deps, read, new Date(startedMs), lists) : undefined;
  // A run that reads images with their findings and then containers keeps them (past 256 in an unlinked spill file),
  // so the containers' lookups find them there instead of asking Qualys again. Every image is kept, not only those
  // counted as in use: Qualys' associatedContainersCount can lag behind the containers.
  const seenImages = images?.enrichment && lists.containers ? new ImageCache() : undefined;
  const containers = lists.containers
    ? readContainers(config.source, prepared.client, { signal, logger, progress, now: new Date(startedMs), images: seenImages })
    : undefined;
  if (trace) {
    Object.assign(trace, { sourceLabel: prepared.label, clientStats: prepared.client.stats });
    if (images) Object.assign(trace, { effectiveFilter: images.filter, sourceStats: images.stats });
    if (images?.enrichment) trace.enrichment = images.enrichment;
    if (containers) trace.containers = { filter: containers.filter, stats: containers.stats, ...(containers.lookups ? { lookups: containers.lookups } : {}) };
  }
  const imageBatches = images?.batches[Symbol.asyncIterator]();
  const containerBatches = containers?.batches[Symbol.asyncIterator]();
  try {
    const observer = deps.observer;
    if (images && imageBatches) {
      await fanOut(imageBatches, sinks, {
        signal,
        to: sinks.filter((s) => s.images),
        write: (sink, batch) => sink.write(batch),
        ...(images.enrichment || images.software ? { onBatch: enrichedProgress(progress, images.stats) } : {}),
        ...(observer || seenImages
          ? {
              observe: async (batch: readonly ImageRecord[]) => {
                await observer?.batch(batch);
                // Kept without their installed packages: the containers need the findings and repositories only.
                if (seenImages) for (const { software: _packages, ...image } of batch) await seenImages.set(image.sha, image);
              },
            }
          : {}),
      });
      checkNotEmpty(config, images.stats, coverage, logger, { noun: 'image', filter: config.source.filter });
      await observer?.end((rows) => handFindings(sinks, rows, signal));
    }
    if (containers && containerBatches) {
      if (images) progress?.phase('reading the containers…');
      await fanOut(containerBatches, sinks, {
        signal,
        to: sinks.filter((s) => s.containers),
        write: (sink, batch) => (sink.writeContainers ? sink.writeContainers(batch) : Promise.reject(new SinkError('it does not take containers'))),
      });
      checkNotEmpty(config, containers.stats, 'full', logger, { noun: 'container', filter: containers.filter });
    }
    // Finishing can take a while (a large workbook is zipped at the end): say so instead of sitting at 100%.
    progress?.phase(`finishing ${sinks.map((s) => s.label).join(', ')}…`);
    await prepareAll(sinks, signal);
    const summaries = await publishAll(sinks, logger, signal, (published) => {
      if (trace) trace.sinkSummaries = published;
    });
    if (trace) trace.committed = true;
    progress?.done();
    return resultOf({
      source: { label: prepared.label, stats: images?.stats, client: prepared.client.stats },
      enrichment: images?.enrichment,
      software: images?.software,
      containers: containers && { filter: containers.filter, stats: containers.stats, lookups: containers.lookups },
      summaries,
      startedMs,
    });
  } catch (error) {
    progress?.done();
    const reason = signal.aborted ? new AbortedError() : error;
    await abortRunSinks(sinks, reason, logger);
    throw reason;
  } finally {
    await imageBatches?.return?.();
    await containerBatches?.return?.();
    await seenImages?.close();
    await prepared.close();
  }
}

/** The images stage of a run: source → overlap filter (with a state) → enrichment (with source.vulnerabilities). */
function readImages(config: Config, client: QualysClient, deps: RunDeps, read: ReadPlan, now: Date, lists: { software: boolean }) {
  const { signal, logger, progress } = deps;
  const source = readSource(config.source, client, { signal, logger, progress, updatedSince: read.updatedSince });
  const kept = read.overlap ? read.overlap.filter(source.batches) : source.batches;
  const enriched = enrich(kept, config.source, client, { signal, logger, now, software: lists.software });
  return { filter: source.filter, stats: source.stats, batches: enriched.batches, enrichment: enriched.stats, software: enriched.software };
}

/** Finding rows that come from no image (a compared run's fixed findings) to every sink that writes findings. */
async function handFindings(sinks: readonly RunSink[], rows: readonly FindingRecord[], signal: AbortSignal): Promise<void> {
  if (signal.aborted) throw new AbortedError();
  await Promise.all(
    sinks
      .filter((s) => s.findings)
      .map(({ name, sink }) =>
        (sink.writeFindings ? sink.writeFindings(rows) : Promise.reject(new SinkError('it does not take the fixed findings of a compared run'))).catch(
          (e: unknown) => Promise.reject(labelled(name, e)),
        ),
      ),
  );
}

/** With enrichment the source reads ahead of the findings calls, so progress counts the images as they are enriched. */
function enrichedProgress(progress: Progress | undefined, stats: SourceStats): ((batch: readonly ImageRecord[]) => void) | undefined {
  if (!progress) return undefined;
  let page = 0;
  let records = 0;
  return (batch) => {
    records += batch.length;
    progress.update({ page: ++page, records: batch.length, totalRecords: records, expectedTotal: stats.expectedAtStart });
  };
}
