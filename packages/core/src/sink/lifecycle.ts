import { SinkError } from '../errors.js';
import type { RunContainer } from '../container-record.js';
import type { FindingRecord } from '../findings/finding-record.js';
import type { ImageRecord } from '../record.js';
import type { Sink, SinkState, SinkSummary } from './contract.js';

/**
 * The Sink life cycle, kept once for every sink: open() once, write() while open, prepare() once, then exactly one
 * of close() or abort(). A sink extends this and implements what each step does to its destination; the order is
 * enforced here, with the same messages for every sink.
 *
 * abort() may come at any time, also while open() is still creating the destination: that open then undoes what it
 * made (abortTarget) instead of leaving it behind.
 */
export abstract class LifecycleSink implements Sink {
  private current: SinkState = 'new';
  private deliveredCount = 0;

  /** @param label how messages name this sink, e.g. `the csv sink for /data/images.csv` */
  protected constructor(private readonly label: string) {}

  /** Where the sink is in its life. */
  protected get state(): SinkState {
    return this.current;
  }

  /** Creates the destination (a temporary file, an index) and writes any header. */
  protected abstract openTarget(): Promise<void>;
  protected abstract writeBatch(batch: readonly ImageRecord[]): Promise<void>;
  /** The first phase of the run's commit: finish and sync everything, publish nothing. */
  protected abstract finishTarget(): Promise<void>;
  /** The second phase: make the output visible under its final name, and report. */
  protected abstract publishTarget(): Promise<SinkSummary>;
  /** Undoes whatever openTarget() and the writes made; called only after openTarget() succeeded. */
  protected abstract abortTarget(reason: unknown): Promise<void>;
  /**
   * Finding rows that come from no image (a compared run's fixed findings): a sink that takes them overrides this,
   * counting them with countDelivered() like its other rows. Default: refused, as the plugin does not declare them.
   */
  protected async writeFindingRows(_rows: readonly FindingRecord[]): Promise<void> {
    throw new SinkError(`${this.label} does not take finding rows of a compared run`);
  }
  /**
   * A batch of the containers the run reads: a sink that writes a container grain overrides this, counting the rows it
   * makes with countDelivered(). Default: refused, as the plugin does not declare container grains.
   */
  protected async writeContainerBatch(_batch: readonly RunContainer[]): Promise<void> {
    throw new SinkError(`${this.label} does not take containers`);
  }
  /** After publishTarget() succeeded and another sink failed to publish: put the previous output back. Default: nothing to undo. */
  protected async rollbackTarget(): Promise<void> {}
  /** After every sink published: drop the previous output's backup. Default: nothing kept. */
  protected async settleTarget(): Promise<void> {}

  /**
   * Records given to this sink at its grain (a findings sink counts the rows it derived): writeBatch() calls it
   * before handing them to the destination, so the run can check that every one was written or rejected.
   */
  protected countDelivered(records: number): void {
    this.deliveredCount += records;
  }

  /** Records counted by countDelivered() so far. */
  protected get delivered(): number {
    return this.deliveredCount;
  }

  async open(): Promise<void> {
    if (this.current !== 'new') throw new SinkError(`${this.label} was already opened`);
    await this.openTarget();
    // abort() ran while the destination was being created: it found nothing open to undo, so undo it here.
    if (this.wasAborted()) return this.abortTarget(new SinkError(`${this.label} was aborted while opening`));
    this.current = 'open';
  }

  async write(batch: readonly ImageRecord[]): Promise<void> {
    this.expect('open', 'write');
    if (batch.length > 0) await this.writeBatch(batch);
  }

  async writeFindings(rows: readonly FindingRecord[]): Promise<void> {
    this.expect('open', 'write findings');
    if (rows.length > 0) await this.writeFindingRows(rows);
  }

  async writeContainers(batch: readonly RunContainer[]): Promise<void> {
    this.expect('open', 'write containers');
    if (batch.length > 0) await this.writeContainerBatch(batch);
  }

  async prepare(): Promise<void> {
    this.expect('open', 'prepare');
    this.current = 'prepared';
    await this.finishTarget();
  }

  async close(): Promise<SinkSummary> {
    if (this.current === 'open') await this.prepare();
    this.expect('prepared', 'close');
    this.current = 'closed';
    let summary: SinkSummary;
    try {
      summary = await this.publishTarget();
    } catch (error) {
      // Publishing failed: the sink is still prepared, so the run's abort() undoes what it made.
      this.current = 'prepared';
      throw error;
    }
    return { ...summary, delivered: summary.delivered ?? this.deliveredCount };
  }

  async rollback(): Promise<void> {
    this.expect('closed', 'roll back');
    this.current = 'rolled-back';
    await this.rollbackTarget();
  }

  async settle(): Promise<void> {
    this.expect('closed', 'settle');
    await this.settleTarget();
  }

  async abort(reason: unknown): Promise<void> {
    const wasOpen = this.current === 'open' || this.current === 'prepared';
    this.current = 'aborted';
    if (wasOpen) await this.abortTarget(reason);
  }

  /** For a sink's own waits (backpressure, retries): stop once the run has aborted it. */
  protected throwIfAborted(): void {
    if (this.wasAborted()) throw new SinkError(`${this.label} was aborted`);
  }

  /** A call, not a comparison: TypeScript would keep `current` narrowed to 'new' across open()'s await. */
  private wasAborted(): boolean {
    return this.current === 'aborted';
  }

  private expect(state: SinkState, doing: string): void {
    if (this.current !== state) throw new SinkError(`${this.label} is ${this.current}, cannot ${doing}`);
  }
}
