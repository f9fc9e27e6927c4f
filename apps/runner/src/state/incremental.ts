import { SourceInconsistentError, StateInvalidError, type AnySinkPlugin, type ImageRecord, type IncrementalSupport, type SinkPlugin } from '@qcs-export/core';
import { sha256 } from '../audit/redacted-config.js';
import { isSimulatorSource, type Config } from '../config/schema.js';
import type { RunState, SinkIdentity } from './state-file.js';

/** What a state is valid for: the subscription, the filter and the sinks that acknowledged its high-water mark. */
export interface StateIdentity {
  subscription: RunState['subscription'];
  filterSha256: string;
  sinks: SinkIdentity[];
}

export function identityOf(config: Config): StateIdentity {
  const source = config.source;
  const subscription = isSimulatorSource(source)
    ? { target: `simulator (seed ${source.simulator.seed}, ${source.simulator.images} images)`, user: null }
    : { target: source.baseUrl.replace(/\/+$/, ''), user: userOf(source.auth) };
  return {
    subscription,
    filterSha256: sha256(source.filter?.trim() ?? ''),
    sinks: config.sinks.map((s) => {
      const options = s.options as Record<string, unknown>;
      const target = [options['path'], options['index'], options['dataStream']].find((v) => typeof v === 'string') as string | undefined;
      return { name: s.name, type: s.type, records: typeof options['records'] === 'string' ? options['records'] : 'images', target: target ?? null };
    }),
  };
}

function userOf(auth: unknown): string | null {
  const a = auth as { username?: string; basic?: { username?: string } };
  return a.username ?? a.basic?.username ?? null;
}

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

/**
 * Sinks that cannot take part in incremental runs, with the reason each plugin gives; checked whenever a state is
 * configured, so a config behaves the same on its first (full) run as on the incremental ones after it.
 */
export function incrementalRefusals(config: Config, plugins: ReadonlyMap<string, AnySinkPlugin>): string[] {
  return config.sinks.flatMap((s, i) => {
    const support = incrementalSupportOf(plugins.get(s.type) as SinkPlugin<unknown> | undefined, s.type, s.options);
    return support.ok ? [] : [`sinks[${i}] (${s.name}): ${support.reason}`];
  });
}

/** What a plugin declares for incremental runs; one that declares nothing is refused. */
export function incrementalSupportOf(plugin: AnySinkPlugin | undefined, type: string, options: unknown): IncrementalSupport {
  return plugin?.incremental?.(options) ?? { ok: false, reason: `the ${type} sink does not say how it takes part in incremental runs` };
}

/**
 * The stage between the source and the sinks in a run with a state. It checks that the server applied the
 * `updated>=` bound (an image older than it means the filter was read differently, and the delta cannot be trusted),
 * drops the images of the lookback overlap that every sink already has at the same `updated` time, and keeps the
 * high-water mark and the new overlap: the images whose `updated` lies within the lookback of the largest one seen.
 * That set is bounded by how many images change in one lookback window, not by the export's size.
 */
export class OverlapTracker {
  overlapSkipped = 0;
  /** Images of the previous overlap the server returned again, changed or not. */
  private overlapReRead = 0;
  private maxUpdated: number | undefined;
  private readonly near = new Map<string, { updated: string; ms: number }>();
  private pruneAt = 1024;

  constructor(
    private readonly since: number | undefined,
    private readonly previousOverlap: ReadonlyMap<string, string>,
    private readonly lookbackMs: number,
  ) {}

  filter(batches: AsyncIterable<ImageRecord[]>): AsyncIterable<ImageRecord[]> {
    const self = this;
    return {
      async *[Symbol.asyncIterator]() {
        for await (const batch of batches) {
          const kept = batch.filter((image) => self.keep(image));
          if (kept.length > 0) yield kept;
        }
        self.checkOverlapSeen();
      },
    };
  }

  /**
   * The images at the last high-water mark match `updated>=<mark − lookback>` by construction, so the server returns
   * them again unless they were deleted. None of them back means the bound was read differently (a server that reads
   * the number as seconds, say, and returns nothing): an empty delta would then hide every change. Checked when the
   * source is done, before any sink commits.
   */
  private checkOverlapSeen(): void {
    if (this.since === undefined || this.previousOverlap.size === 0 || this.overlapReRead > 0) return;
    throw new SourceInconsistentError(
      `Qualys returned none of the ${this.previousOverlap.size} images updated at the last high-water mark for updated>=${this.since} ` +
        `(${new Date(this.since).toISOString()}), which match it unless all were deleted: the server may read the bound differently, ` +
        'and the changes since the last run cannot be trusted. Nothing was written and the state was kept. Run with --full-refresh ' +
        '(and check `qcs-export doctor`).',
    );
  }

  private keep(image: ImageRecord): boolean {
    const ms = image.updated === null ? Number.NaN : Date.parse(image.updated);
    if (this.since !== undefined && !(ms >= this.since)) {
      throw new SourceInconsistentError(
        `Qualys sent image ${image.sha} with updated ${image.updated ?? 'null'}, before the incremental bound ${new Date(this.since).toISOString()} ` +
          '(updated>=… in the filter): the server does not apply that bound as this run reads it, so the changes since the last run cannot be ' +
          'told apart. Nothing was written and the state was kept. Run with --full-refresh, or without run.state.',
      );
    }
    if (!Number.isNaN(ms)) this.track(image.sha, image.updated as string, ms);
    const before = this.previousOverlap.get(image.sha);
    if (before !== undefined) this.overlapReRead++;
    if (before === image.updated) {
      this.overlapSkipped++;
      return false;
    }
    return true;
  }

  private track(sha: string, updated: string, ms: number): void {
    if (this.maxUpdated === undefined || ms > this.maxUpdated) this.maxUpdated = ms;
    if (ms >= this.maxUpdated - this.lookbackMs) this.near.set(sha, { updated, ms });
    if (this.near.size >= this.pruneAt) {
      const floor = this.maxUpdated - this.lookbackMs;
      for (const [key, entry] of this.near) if (entry.ms < floor) this.near.delete(key);
      this.pruneAt = Math.max(1024, this.near.size * 2);
    }
  }

  /** The high-water mark and overlap for the next state; the previous ones when this run saw no image. */
  next(previous: RunState | undefined): Pick<RunState, 'highWaterMark' | 'overlap'> {
    if (this.maxUpdated === undefined) return { highWaterMark: previous?.highWaterMark ?? null, overlap: previous?.overlap ?? [] };
    const floor = this.maxUpdated - this.lookbackMs;
    const overlap = [...this.near].filter(([, e]) => e.ms >= floor).map(([sha, e]) => ({ sha, updated: e.updated }));
    overlap.sort((a, b) => (a.sha < b.sha ? -1 : 1));
    return { highWaterMark: new Date(this.maxUpdated).toISOString(), overlap };
  }
}
