import { randomUUID } from 'node:crypto';
import { resolve } from 'node:path';
import { AbortedError, ConfigError, isQcsError, type AnySinkPlugin, type Logger } from '@qcs-export/core';
import { manifestPathOf, writeManifest, type StateReport } from '../audit/manifest.js';
import type { Config } from '../config/schema.js';
import { exitCodeOf, ExitCode } from '../exit-codes.js';
import { checkOutputsBeforeRun, checkPathBeforeRun, outputsOf } from '../outputs.js';
import type { Progress } from '../progress.js';
import { toolVersion } from '../version.js';
import { runExport, type RunResult, type RunTrace } from './export.js';
import { runContextFor } from './run-context.js';
import { openRunState, type RunWithState } from './run-state.js';

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
 * the `updated>=` bound and the overlap filter, run-state.ts); the export's stages are runExport's.
 */
export async function scheduledRun(config: Config, options: ScheduledRunOptions): Promise<ScheduledRunResult> {
  const startedAt = new Date();
  const trace: RunTrace = { runId: randomUUID(), sinkSummaries: [], committed: false };
  const ctx = runContextFor(config, { sourceLabel: 'run', logger: options.logger, startedAt });
  const stateFlagOrConfig = options.statePath ?? config.run.state;
  const statePath = stateFlagOrConfig === undefined ? undefined : resolve(ctx.baseDir, stateFlagOrConfig);
  const manifestPath = manifestPathOf(options.manifestPath, config, ctx);
  let state: RunWithState | undefined;
  let result: RunResult | undefined;
  // The manifest is checked first: a run refused because of it has no manifest to write either.
  if (manifestPath !== undefined) await checkPathBeforeRun(manifestPath, options.manifestPath !== undefined ? '--manifest' : 'run.manifest');
  try {
    if (statePath !== undefined) await checkPathBeforeRun(statePath, options.statePath !== undefined ? '--state' : 'run.state');
    await checkOutputsBeforeRun(outputsOf(config.sinks, options.plugins, ctx));
    if (options.fullRefresh && statePath === undefined) throw new ConfigError('--full-refresh needs a state: give --state FILE or run.state');
    if (options.noStateUpdate && statePath === undefined) throw new ConfigError('--no-state-update needs a state: give --state FILE or run.state');
    if (statePath !== undefined) {
      state = await openRunState(config, options.plugins, statePath, {
        fullRefresh: options.fullRefresh === true,
        noStateUpdate: options.noStateUpdate === true,
        logger: options.logger,
      });
    }
    const deps = { plugins: options.plugins, logger: options.logger, redact: options.redact, signal: options.signal, startedAt, trace };
    result = await runExport(config, { ...deps, ...(options.progress ? { progress: options.progress } : {}) }, state?.read);
    await state?.record(result, { runId: trace.runId, startedAt });
    await state?.release();
    await manifest(undefined);
    return { ...result, runId: trace.runId, ...(state ? { state: state.report } : {}), ...(manifestPath ? { manifest: manifestPath } : {}) };
  } catch (error) {
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
      redact: options.redact,
    });
  }
}
