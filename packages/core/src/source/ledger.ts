import type { ListResource } from './resource.js';
import { ShaSet } from './sha-set.js';

/** What the ledger counted, for the run's stats. */
export interface LedgerStats {
  delivered: number;
  /** Records dropped because their key was already delivered (repeated in a page, or returned again after a rescan). */
  duplicatesDropped: number;
  /** Delivered records that changed after the run started: rescanned or added while it ran. */
  changedDuringRun: number;
  /** Records a page-number crawl read again in a later pass to prove the result whole: not duplicates the server sent. */
  rereadToVerify: number;
}

/**
 * What one run has handed to its consumer: every key, once. Crawls pass their normalized pages through `fresh()`,
 * which drops records already delivered (repeated in a page, or returned again after a rescan moved them); the
 * source passes every batch through `commit()` at the moment it hands it on. Only `commit()` records a key: a batch
 * a crawl produced but that never reached the consumer (a window abandoned when auto switches strategy) must not
 * count as delivered, or the next strategy would skip it. The ledger keeps its own counts; others only read them.
 */
export class DeliveryLedger<R> {
  private readonly seen = new ShaSet();
  private dropped = 0;
  private changed = 0;
  private verified = 0;

  /** `changedAfterMs`: the newest change the server held when the run started (or the start time, less a skew allowance). */
  constructor(
    private readonly resource: Pick<ListResource<R>, 'key' | 'changedAt'>,
    private changedAfterMs: number,
  ) {}

  get delivered(): number {
    return this.seen.size;
  }

  get duplicatesDropped(): number {
    return this.dropped;
  }

  /** Delivered records whose change date is later than `changedAfterMs`. */
  get changedDuringRun(): number {
    return this.changed;
  }

  get rereadToVerify(): number {
    return this.verified;
  }

  get stats(): LedgerStats {
    return { delivered: this.delivered, duplicatesDropped: this.dropped, changedDuringRun: this.changed, rereadToVerify: this.verified };
  }

  /** Whether the record with this key was delivered. */
  isDelivered(key: string): boolean {
    return this.seen.has(key);
  }

  /** Counts records read again on purpose, to verify a result, and not handed on. */
  verifiedAgain(count: number): void {
    this.verified += count;
  }

  setChangedAfter(ms: number): void {
    this.changedAfterMs = ms;
  }

  /** The records of a page that were not delivered before, in page order (the first of repeats). */
  fresh(page: readonly R[]): R[] {
    const out: R[] = [];
    const inPage = new Set<string>();
    for (const record of page) {
      const key = this.resource.key(record);
      if (inPage.has(key) || this.seen.has(key)) {
        this.dropped++;
        continue;
      }
      inPage.add(key);
      out.push(record);
    }
    return out;
  }

  /** Counts records a crawl dropped as repeats before they reached `fresh()` (a keyset page checks its order first). */
  droppedRepeats(count: number): void {
    this.dropped += count;
  }

  /** Records the batch as delivered and returns the records not delivered before (two crawls may race to one). */
  commit(batch: readonly R[]): R[] {
    const out: R[] = [];
    for (const record of batch) {
      if (!this.seen.add(this.resource.key(record))) {
        this.dropped++;
        continue;
      }
      if (this.resource.changedAt(record) > this.changedAfterMs) this.changed++;
      out.push(record);
    }
    return out;
  }
}
