import { SourceInconsistentError, type ImageRecord } from '@qcs-export/core';

/** The high-water mark and overlap a state keeps between runs (state-file.ts holds them under these names). */
export interface Watermark {
  highWaterMark: string | null;
  overlap: Array<{ sha: string; updated: string }>;
}

/**
 * The overlap filter: the stage between the source and the enrichment in a run with a state. It checks that the server applied the
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
  next(previous: Watermark | undefined): Watermark {
    if (this.maxUpdated === undefined) return { highWaterMark: previous?.highWaterMark ?? null, overlap: previous?.overlap ?? [] };
    const floor = this.maxUpdated - this.lookbackMs;
    const overlap = [...this.near].filter(([, e]) => e.ms >= floor).map(([sha, e]) => ({ sha, updated: e.updated }));
    overlap.sort((a, b) => (a.sha < b.sha ? -1 : 1));
    return { highWaterMark: new Date(this.maxUpdated).toISOString(), overlap };
  }
}
