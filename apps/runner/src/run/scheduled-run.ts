import { randomUUID } from 'node:crypto';
import { resolve } from 'node:path';
import { AbortedError, ConfigError, isQcsError, StateInvalidError, type AnySinkPlugin, type Logger } from '@qcs-export/core';
import { manifestPathOf, writeManifest, type StateReport } from '../audit/manifest.js';
import type { Config } from '../config/schema.js';
import { exitCodeOf, ExitCode } from '../exit-codes.js';
import { checkOutputsBeforeRun, checkPathBeforeRun, outputsOf } from '../outputs.js';
import type { Progress } from '../progress.js';
import { incrementalRefusals } from '../sink-declarations.js';
import { identityOf } from '../state/identity.js';
import { acquireStateLock, type StateLock } from '../state/lock.js';
import { planRun, type RunPlan } from '../state/plan.js';
import { readState, writeState, type RunState } from '../state/state-file.js';
import { toolVersion } from '../version.js';
import { runExport, type ReadPlan, type RunResult, type RunTrace } from './export.js';
import { runContextFor } from './run-context.js';
import { OverlapTracker } from './stages/overlap-filter.js';

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
  /** The exit code the manifest records for an interrupted run: 130 for SIGINT, 143 for SIGTERM. */
  interruptExitCode?: () => number | undefined;
}

export interface ScheduledRunResult extends RunResult {
  runId: string;
  state?: StateReport;
  manifest?: string;
}

/**
 * One export with what a scheduled job needs around it: the state of incremental runs (locked for the run, read
 * before it, written after every sink committed, never after a failure or a rejected record) and the audit manifest
 * (written at the end of every run, failed ones included). The state decides what the export reads (its ReadPlan:
 * the `updated>=` bound and the overlap filter); the export's stages are runExport's.
 */
export async function scheduledRun(config: Config, options: ScheduledRunOptions): Promise<ScheduledRunResult> {
  const startedAt = new Date();
  const trace: RunTrace = { runId: randomUUID(), sinkSummaries: [], committed: false };
  const ctx = runContextFor(config, { sourceLabel: 'run', logger: options.logger, startedAt });
  const stateFlagOrConfig = options.statePath ?? config.run.state;
  const statePath = stateFlagOrConfig === undefined ? undefined : resolve(ctx.baseDir, stateFlagOrConfig);
  const manifestPath = manifestPathOf(options.manifestPath, config, ctx);
  let stateReport: StateReport | undefined;
  let lock: StateLock | undefined;
  let result: RunResult | undefined;
  // The manifest is checked first: a run refused because of it has no manifest to write either.
  if (manifestPath !== undefined) await checkPathBeforeRun(manifestPath, options.manifestPath !== undefined ? '--manifest' : 'run.manifest');
  try {
    if (statePath !== undefined) await checkPathBeforeRun(statePath, options.statePath !== undefined ? '--state' : 'run.state');
    await checkOutputsBeforeRun(outputsOf(config.sinks, options.plugins, ctx));
    if (options.fullRefresh && statePath === undefined) throw new ConfigError('--full-refresh needs a state: give --state FILE or run.state');
    if (options.noStateUpdate && statePath === undefined) throw new ConfigError('--no-state-update needs a state: give --state FILE or run.state');
    let plan: RunPlan | undefined;
    let tracker: OverlapTracker | undefined;
    let previous: RunState | undefined;
    if (statePath !== undefined) {
      const refusals = incrementalRefusals(config, options.plugins);
      if (refusals.length > 0) {
        throw new ConfigError([`these sinks cannot run with a state (run.state / --state):`, ...refusals.map((r) => `  ${r}`)].join('\n'));
      }
      lock = await acquireStateLock(statePath, { onTakeover: (message) => options.logger.warn(message) });
      previous = await readState(statePath).catch((error: unknown) => {
        // What the error recommends: a full refresh needs nothing from the old state, and replaces it at the end.
        if (!options.fullRefresh || !(error instanceof StateInvalidError)) throw error;
        options.logger.warn(
          `--full-refresh: ${error.message.replace(/ Restore it, or run with --full-refresh.*$/s, '')} A new state replaces it when this run succeeds.`,
        );
        return undefined;
      });
      const lookbackMs = config.run.lookbackMinutes * 60_000;
      plan = planRun(previous, identityOf(config, options.plugins), { fullRefresh: options.fullRefresh === true, lookbackMs, statePath });
      const overlap = new Map(plan.mode === 'incremental' ? plan.previous.overlap.map((e) => [e.sha, e.updated] as const) : []);
      tracker = new OverlapTracker(plan.mode === 'incremental' ? plan.since : undefined, overlap, lookbackMs);
      stateReport = {
        path: statePath,
        mode: plan.mode,
        ...(plan.mode === 'full' ? { reason: plan.reason } : { since: new Date(plan.since).toISOString() }),
        highWaterMark: previous?.highWaterMark ?? null,
        updated: false,
      };
      options.logger.info(
        plan.mode === 'incremental'
          ? `incremental run: images updated since ${new Date(plan.since).toISOString()} (the last high-water mark less ${config.run.lookbackMinutes} min)`
          : `full run (${plan.reason}); the state will hold its high-water mark`,
      );
    }
    const read: ReadPlan = {
      ...(plan?.mode === 'incremental' ? { updatedSince: plan.since } : {}),
      ...(tracker ? { overlap: tracker } : {}),
    };
    const deps = { plugins: options.plugins, logger: options.logger, redact: options.redact, signal: options.signal, startedAt, trace };
    result = await runExport(config, { ...deps, ...(options.progress ? { progress: options.progress } : {}) }, read);
    if (statePath !== undefined && tracker && stateReport) {
      stateReport.overlapSkipped = tracker.overlapSkipped;
      const next = tracker.next(previous);
      if (result.rejected > 0) {
        options.logger.warn(`the state ${statePath} was kept: a sink rejected records, so the next run repeats this one's work`);
      } else if (options.noStateUpdate) {
        options.logger.info(`the state ${statePath} was left as it was (--no-state-update)`);
      } else {
        const identity = identityOf(config, options.plugins);
        await writeState(statePath, {
          stateVersion: 1,
          ...identity,
          ...next,
          lastRun: { runId: trace.runId, startedAt: startedAt.toISOString(), endedAt: new Date().toISOString(), mode: stateReport.mode },
        });
        stateReport.highWaterMark = next.highWaterMark;
        stateReport.updated = true;
      }
    }
    await lock?.release();
    await manifest(undefined);
    return { ...result, runId: trace.runId, ...(stateReport ? { state: stateReport } : {}), ...(manifestPath ? { manifest: manifestPath } : {}) };
  } catch (error) {
    await lock?.release();
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
      ...(stateReport ? { state: stateReport } : {}),
      redact: options.redact,
    });
  }
}
