import { StateInvalidError } from '@qcs-export/core';
import type { StateIdentity } from './identity.js';
import type { RunState } from './state-file.js';

/** A run with a state reads everything ("full") or only the images changed since `since` ("incremental"). */
export type RunPlan = { mode: 'full'; reason: string } | { mode: 'incremental'; since: number; previous: RunState };

/**
 * Whether this run reads everything or only what changed, from the state the last successful run left. A state made
 * for another subscription, filter or sink is refused rather than trusted: its high-water mark says nothing about
 * what those sinks hold (a new sink would get only the changes and pass for a full export).
 */
export function planRun(
  previous: RunState | undefined,
  identity: StateIdentity,
  options: { fullRefresh: boolean; lookbackMs: number; statePath: string },
): RunPlan {
  if (options.fullRefresh) return { mode: 'full', reason: '--full-refresh' };
  if (previous === undefined) return { mode: 'full', reason: `no state yet at ${options.statePath}` };
  const refuse = (what: string) =>
    new StateInvalidError(
      `the state ${options.statePath} was written for ${what}; an incremental run from it could skip images. ` +
        'Run once with --full-refresh to export everything again and start a new state, or point run.state at another file.',
    );
  const was = previous.subscription;
  const now = identity.subscription;
  if (was.target !== now.target || was.user !== now.user) {
    throw refuse(
      `another subscription (${was.target}${was.user ? ` as ${was.user}` : ''}; this config reads ${now.target}${now.user ? ` as ${now.user}` : ''})`,
    );
  }
  if (previous.filterSha256 !== identity.filterSha256) throw refuse('another source.filter');
  for (const sink of identity.sinks) {
    const known = previous.sinks.some((s) => s.name === sink.name && s.type === sink.type && s.records === sink.records && s.target === sink.target);
    if (!known)
      throw refuse(
        `sinks without "${sink.name}" (${sink.type}, records: ${sink.records}${sink.target ? `, ${sink.target}` : ''}), which would get only the changes`,
      );
  }
  if (previous.highWaterMark === null) return { mode: 'full', reason: 'the last run saw no image' };
  return { mode: 'incremental', since: Date.parse(previous.highWaterMark) - options.lookbackMs, previous };
}
