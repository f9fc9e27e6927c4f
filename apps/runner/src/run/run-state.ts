import { ConfigError, StateInvalidError, type AnySinkPlugin, type Logger } from '@qcs-export/core';
import type { StateReport } from '../audit/manifest.js';
import type { Config } from '../config/schema.js';
import { incrementalRefusals } from '../sink-declarations.js';
import { identityOf } from '../state/identity.js';
import { acquireStateLock } from '../state/lock.js';
import { planRun } from '../state/plan.js';
import { readState, writeState } from '../state/state-file.js';
import type { ReadPlan } from './export.js';
import type { RunResult } from './result.js';
import { OverlapTracker } from './stages/overlap-filter.js';

/** A run's state, locked and planned: what the export reads, and how the state moves on once it committed. */
export interface RunWithState {
  /** What the export reads: only the changes (an incremental run) or everything, through the overlap filter either way. */
  read: ReadPlan;
  /** What the state did in this run, for the summary and the manifest; updated by record(). */
  report: StateReport;
  /** After every sink committed: writes the next state, unless a sink rejected records or --no-state-update. */
  record(result: RunResult, lastRun: { runId: string; startedAt: Date }): Promise<void>;
  release(): Promise<void>;
}

/**
 * Before the export: refuses sinks that cannot take part in incremental runs, takes the state's lock, reads the state
 * and plans the run from it (full, or incremental from its high-water mark). On a failure here the lock is released.
 */
export async function openRunState(
  config: Config,
  plugins: ReadonlyMap<string, AnySinkPlugin>,
  statePath: string,
  options: { fullRefresh: boolean; noStateUpdate: boolean; logger: Logger },
): Promise<RunWithState> {
  const { logger } = options;
  const refusals = incrementalRefusals(config, plugins);
  if (refusals.length > 0) {
    throw new ConfigError([`these sinks cannot run with a state (run.state / --state):`, ...refusals.map((r) => `  ${r}`)].join('\n'));
  }
  const lock = await acquireStateLock(statePath, { onTakeover: (message) => logger.warn(message) });
  let released: Promise<void> | undefined;
  try {
    const previous = await readState(statePath).catch((error: unknown) => {
      // What the error recommends: a full refresh needs nothing from the old state, and replaces it at the end.
      if (!options.fullRefresh || !(error instanceof StateInvalidError)) throw error;
      logger.warn(
        `--full-refresh: ${error.message.replace(/ Restore it, or run with --full-refresh.*$/s, '')} A new state replaces it when this run succeeds.`,
      );
      return undefined;
    });
    const lookbackMs = config.run.lookbackMinutes * 60_000;
    const identity = identityOf(config, plugins);
    const plan = planRun(previous, identity, { fullRefresh: options.fullRefresh, lookbackMs, statePath });
    const overlap = new Map(plan.mode === 'incremental' ? plan.previous.overlap.map((e) => [e.sha, e.updated] as const) : []);
    const tracker = new OverlapTracker(plan.mode === 'incremental' ? plan.since : undefined, overlap, lookbackMs);
    const report: StateReport = {
      path: statePath,
      mode: plan.mode,
      ...(plan.mode === 'full' ? { reason: plan.reason } : { since: new Date(plan.since).toISOString() }),
      highWaterMark: previous?.highWaterMark ?? null,
      updated: false,
    };
    logger.info(
      plan.mode === 'incremental'
        ? `incremental run: images updated since ${new Date(plan.since).toISOString()} (the last high-water mark less ${config.run.lookbackMinutes} min)`
        : `full run (${plan.reason}); the state will hold its high-water mark`,
    );
    return {
      read: { ...(plan.mode === 'incremental' ? { updatedSince: plan.since } : {}), overlap: tracker },
      report,
      async record(result, lastRun) {
        report.overlapSkipped = tracker.overlapSkipped;
        const next = tracker.next(previous);
        if (result.rejected > 0) {
          logger.warn(`the state ${statePath} was kept: a sink rejected records, so the next run repeats this one's work`);
          return;
        }
        if (options.noStateUpdate) {
          logger.info(`the state ${statePath} was left as it was (--no-state-update)`);
          return;
        }
        await writeState(statePath, {
          stateVersion: 1,
          ...identity,
          ...next,
          lastRun: { runId: lastRun.runId, startedAt: lastRun.startedAt.toISOString(), endedAt: new Date().toISOString(), mode: report.mode },
        });
        report.highWaterMark = next.highWaterMark;
        report.updated = true;
      },
      // Released once: a second rm could remove the lock another run took meanwhile.
      release: () => (released ??= lock.release()),
    };
  } catch (error) {
    await lock.release();
    throw error;
  }
}
