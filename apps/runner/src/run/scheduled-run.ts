import { randomUUID } from 'node:crypto';
import {
  AbortedError,
  ConfigError,
  findingRowOptions,
  findingRows,
  isQcsError,
  resolveUserPath,
  type AnySinkPlugin,
  type FindingRecord,
  type ImageRecord,
  type Logger,
  type RunContext,
  type SinkPlugin,
  sinkGrains,
  takesFixedFindingsAt,
} from '@qcs-export/core';
import { digestFile } from '../audit/file-digest.js';
import { findingsPathOf, FindingsFileWriter, type FindingsFileEntry } from '../audit/findings-file.js';
import { manifestPathOf, writeManifest, type StateReport } from '../audit/manifest.js';
import { PreviousRun, type ComparisonReport } from '../audit/previous-run.js';
import type { Config } from '../config/schema.js';
import { exitCodeOf, ExitCode } from '../exit-codes.js';
import { checkOutputsBeforeRun, checkPathBeforeRun, outputsOf, sweepOutputs } from '../outputs.js';
import type { Progress } from '../progress.js';
import { toolVersion } from '../version.js';
import { runExport, type RunObserver, type RunResult, type RunTrace } from './export.js';
import { runContextFor } from './run-context.js';
import { openRunState, type RunWithState } from './run-state.js';
import { listsRead } from './run-sinks.js';

export interface ScheduledRunOptions {
  plugins: ReadonlyMap<string, AnySinkPlugin>;
  logger: Logger;
  redact: (text: string) => string;
  signal: AbortSignal;
  progress?: Progress;
  /** --state FILE: overrides run.state. */
  statePath?: string;
  /** --manifest FILE: overrides run.manifest. */
  manifestPath?: string;
  /** --full-refresh: read everything, whatever the state says, and write a new state. */
  fullRefresh?: boolean;
  /** --no-state-update: leave the state as it is, even after a successful run. */
  noStateUpdate?: boolean;
  /** --compare-to MANIFEST: overrides run.compareTo. */
  compareTo?: string;
  /** The exit code the manifest records for an interrupted run: 130 for SIGINT, 143 for SIGTERM. */
  interruptExitCode?: () => number | undefined;
}

export interface ScheduledRunResult extends RunResult {
  runId: string;
  state?: StateReport;
  manifest?: string;
  /** With --compare-to: what is new, open and fixed since the run compared with, and the images gone. */
  compare?: ComparisonReport;
}

/**
 * One export with what a scheduled job needs around it: the state of incremental runs (locked for the run, read
 * before it, written after every sink committed, never after a failure or a rejected record) and the audit manifest
 * (written at the end of every run, failed ones included). The state decides what the export reads (its ReadPlan:
 * the `updated>=` bound and the overlap filter, run-state.ts); the export's stages are runExport's.
 */
export async function scheduledRun(config: Config, options: ScheduledRunOptions): Promise<ScheduledRunResult> {
  const startedAt = new Date();
  const trace: RunTrace = { runId: randomUUID(), sinkSummaries: [], committed: false };
  const ctx = runContextFor(config, { sourceLabel: 'run', logger: options.logger, startedAt });
  const stateFlagOrConfig = options.statePath ?? config.run.state;
  const statePath = stateFlagOrConfig === undefined ? undefined : resolveUserPath(stateFlagOrConfig, ctx.baseDir);
  const manifestPath = manifestPathOf(options.manifestPath, config, ctx);
  const compareFlagOrConfig = options.compareTo ?? config.run.compareTo;
  const compareSetting = options.compareTo !== undefined ? '--compare-to' : 'run.compareTo';
  const comparePath = compareFlagOrConfig === undefined ? undefined : resolveUserPath(compareFlagOrConfig, ctx.baseDir);
  let state: RunWithState | undefined;
  let result: RunResult | undefined;
  let findingsFile: FindingsFileWriter | undefined;
  let findingsEntry: FindingsFileEntry | undefined;
  let comparison: ComparisonReport | undefined;
  // The manifest is checked first: a run refused because of it has no manifest to write either.
  if (manifestPath !== undefined) await checkPathBeforeRun(manifestPath, options.manifestPath !== undefined ? '--manifest' : 'run.manifest');
  try {
    if (statePath !== undefined) await checkPathBeforeRun(statePath, options.statePath !== undefined ? '--state' : 'run.state');
    await checkOutputsBeforeRun(outputsOf(config.sinks, options.plugins, ctx));
    if (comparePath !== undefined) checkComparable(config, options.plugins, compareSetting);
    if (options.fullRefresh && statePath === undefined) throw new ConfigError('--full-refresh needs a state: give --state FILE or run.state');
    if (options.noStateUpdate && statePath === undefined) throw new ConfigError('--no-state-update needs a state: give --state FILE or run.state');
    if (statePath !== undefined) {
      state = await openRunState(config, options.plugins, statePath, {
        fullRefresh: options.fullRefresh === true,
        noStateUpdate: options.noStateUpdate === true,
        logger: options.logger,
      });
    }
    const fullRun = state?.read.updatedSince === undefined;
    if (comparePath !== undefined && !fullRun) {
      throw new ConfigError(`${compareSetting} compares a full run, but the state plans an incremental one (${state?.report.since ?? 'since its last run'})`, {
        hint: 'add --full-refresh, so this run reads every image',
      });
    }
    const previous = comparePath !== undefined ? await PreviousRun.load(comparePath, config, compareSetting) : undefined;
    // A run that reads findings in full keeps them beside its manifest, so a later run can be compared with it.
    if (manifestPath !== undefined && config.source.vulnerabilities !== undefined && fullRun && listsRead(config.sinks, options.plugins).images) {
      const findingsPath = findingsPathOf(manifestPath);
      await checkPathBeforeRun(findingsPath, `the findings file of ${options.manifestPath !== undefined ? '--manifest' : 'run.manifest'}`);
      // It is written while the run goes: a run killed meanwhile leaves its temporary file, removed here as the sinks' are.
      await sweepOutputs([{ output: findingsPath }], options.logger);
      findingsFile = await FindingsFileWriter.open(findingsPath, config);
    }
    const observer = observerOf(ctx, previous, findingsFile, (report) => (comparison = report));
    const deps = { plugins: options.plugins, logger: options.logger, redact: options.redact, signal: options.signal, startedAt, trace };
    result = await runExport(config, { ...deps, ...(options.progress ? { progress: options.progress } : {}), ...(observer ? { observer } : {}) }, state?.read);
    if (findingsFile) {
      const entry = await findingsFile.commit();
      findingsEntry = { ...entry, sha256: (await digestFile(findingsFile.path))?.sha256 ?? '' };
    }
    await state?.record(result, { runId: trace.runId, startedAt });
    await state?.release();
    await manifest(undefined);
    return {
      ...result,
      runId: trace.runId,
      ...(state ? { state: state.report } : {}),
      ...(manifestPath ? { manifest: manifestPath } : {}),
      ...(comparison ? { compare: comparison } : {}),
    };
  } catch (error) {
    await findingsFile?.abort().catch(() => undefined);
    await state?.release();
    // The run's own failure is the one to report; the manifest of a failed run is written on a best-effort basis.
    await manifest(error).catch((manifestError: unknown) =>
      options.logger.error(`the manifest ${manifestPath} could not be written: ${(manifestError as Error).message}`),
    );
    throw error;
  }

  /** The manifest of this run, if one is asked for; a successful run whose manifest cannot be written fails. */
  async function manifest(failure: unknown): Promise<void> {
    if (manifestPath === undefined) return;
    const interrupted = failure instanceof AbortedError ? options.interruptExitCode?.() : undefined;
    const exitCode = failure !== undefined ? (interrupted ?? exitCodeOf(failure)) : result && result.rejected > 0 ? ExitCode.recordsRejected : ExitCode.ok;
    const error =
      failure === undefined
        ? undefined
        : isQcsError(failure)
          ? { code: failure.code, message: failure.message }
          : { code: 'QCS_INTERNAL', message: String((failure as Error)?.message ?? failure) };
    await writeManifest(manifestPath, {
      config,
      plugins: options.plugins,
      ctx,
      trace,
      toolVersion,
      startedAt,
      endedAt: new Date(),
      exitCode,
      ...(error ? { error } : {}),
      ...(state ? { state: state.report } : {}),
      ...(findingsEntry && failure === undefined ? { findings: findingsEntry } : {}),
      ...(comparison && failure === undefined ? { compare: comparison } : {}),
      redact: options.redact,
    });
  }
}

/**
 * Before a compared run starts: it needs findings, and every sink that writes them must take the fixed ones too, or
 * its output would say nothing of what was fixed.
 */
export function checkComparable(config: Config, plugins: ReadonlyMap<string, AnySinkPlugin>, setting: string): void {
  if (config.source.vulnerabilities === undefined) {
    throw new ConfigError(`${setting} compares findings, but this config reads none`, { hint: 'add source.vulnerabilities (e.g. from: details)' });
  }
  if (!listsRead(config.sinks, plugins).images) {
    throw new ConfigError(`${setting} compares the findings of images, but every sink of this config writes containers`, {
      hint: `drop ${setting}, or add a sink with records: findings`,
    });
  }
  for (const s of config.sinks) {
    const plugin = plugins.get(s.type) as SinkPlugin<unknown> | undefined;
    // Container findings are not compared: only a sink that writes image findings must take the fixed ones.
    if (!plugin || !sinkGrains(plugin, s.options).some(takesFixedFindingsAt) || plugin.takesFixedFindings?.(s.options) === true) continue;
    throw new ConfigError(`sink "${s.name}" (${s.type}) cannot write the fixed findings of a compared run (${setting})`, {
      hint: `drop ${setting}, or write the findings of a compared run with a sink that takes them`,
    });
  }
}

/** What sees the run's batches: the findings file and the comparison, each when there is one. */
function observerOf(
  ctx: RunContext,
  previous: PreviousRun | undefined,
  findingsFile: FindingsFileWriter | undefined,
  onReport: (report: ComparisonReport) => void,
): RunObserver | undefined {
  if (!previous && !findingsFile) return undefined;
  const rowOptions = findingRowOptions({ startedAt: ctx.startedAt, ...(ctx.sla ? { sla: ctx.sla } : {}) });
  return {
    ...(previous ? { comparison: previous } : {}),
    async batch(batch: readonly ImageRecord[]) {
      const seen: Array<readonly [ImageRecord, FindingRecord[]]> = batch.map((image) => [image, findingRows(image, 'findings', rowOptions)]);
      if (previous) for (const [image, rows] of seen) previous.see(image, rows);
      await findingsFile?.add(seen);
    },
    async end(hand) {
      if (previous) onReport(await previous.finish(hand));
    },
  };
}
