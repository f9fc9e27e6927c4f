import { normalizeImage } from '../normalize/index.js';
import type { ImageRecord } from '../record.js';
import { ShaSet } from './sha-set.js';

/**
 * What one run has handed to its consumer: every sha, once. Crawls pass their raw pages through `fresh()`, which
 * drops records already delivered (repeated in a page, or returned again after a rescan moved them); the source
 * passes every batch through `commit()` at the moment it hands it on. Only `commit()` records a sha: a batch a
 * crawl produced but that never reached the consumer (a window abandoned when auto switches strategy) must not
 * count as delivered, or the next strategy would skip it.
 */
export class DeliveryLedger {
  private readonly seen = new ShaSet();
  duplicatesDropped = 0;
  /** Delivered records whose `updated` is later than `changedAfterMs`: images that changed or arrived during the run. */
  changedDuringRun = 0;

  /** `changedAfterMs`: the newest `updated` the server held when the run started (or the start time, less a skew allowance). */
  constructor(private changedAfterMs: number) {}

  get delivered(): number {
    return this.seen.size;
  }

  setChangedAfter(ms: number): void {
    this.changedAfterMs = ms;
  }

  /** Normalizes the records of a page that were not delivered before, in page order (the first of repeats). */
  fresh(page: ReadonlyArray<Record<string, unknown>>, endpoint: 'images' | 'images/list'): ImageRecord[] {
    const out: ImageRecord[] = [];
    const inPage = new Set<string>();
    for (const raw of page) {
      const record = normalizeImage(raw, endpoint);
      if (inPage.has(record.sha) || this.seen.has(record.sha)) {
        this.duplicatesDropped++;
        continue;
      }
      inPage.add(record.sha);
      out.push(record);
    }
    return out;
  }

  /** Records the batch as delivered and returns the records not delivered before (two crawls may race to one). */
  commit(batch: readonly ImageRecord[]): ImageRecord[] {
    const out: ImageRecord[] = [];
    for (const record of batch) {
      if (!this.seen.add(record.sha)) {
        this.duplicatesDropped++;
        continue;
      }
      const updated = record.updated === null ? NaN : Date.parse(record.updated);
      if (updated > this.changedAfterMs) this.changedDuringRun++;
      out.push(record);
    }
    return out;
  }
}
