import { describe, expect, it } from 'vitest';
import type { ImageRecord } from '../src/index.js';
import { DeliveryLedger } from '../src/source/ledger.js';
import { IMAGES } from '../src/source/resource.js';

/** A resource the ledger knows only through its key and change date, as containers would be (keyed by containerId). */
interface Container {
  containerId: string;
  updated: number;
}
const containers = { key: (c: Container) => c.containerId, changedAt: (c: Container) => c.updated };
const START = Date.UTC(2026, 0, 1);

describe('DeliveryLedger (exactly once, and its own counts)', () => {
  it('takes records already normalized and keys them by the resource, not by an image field', () => {
    const ledger = new DeliveryLedger(containers, START);
    const page = [
      { containerId: 'c1', updated: START - 1 },
      { containerId: 'c2', updated: START + 1 },
      { containerId: 'c1', updated: START - 1 },
    ];
    const fresh = ledger.fresh(page);
    // The ledger hands back the very objects it was given: normalization is not its business.
    expect(fresh).toEqual([page[0], page[1]]);
    expect(fresh[0]).toBe(page[0]);
    expect(ledger.duplicatesDropped).toBe(1);
    expect(ledger.delivered).toBe(0);

    expect(ledger.commit(fresh)).toEqual(fresh);
    expect(ledger.stats).toEqual({ delivered: 2, duplicatesDropped: 1, changedDuringRun: 1, rereadToVerify: 0 });
    // A rescan returns c2 again: dropped before and at the hand-over alike.
    expect(ledger.fresh([{ containerId: 'c2', updated: START + 5 }])).toEqual([]);
    expect(ledger.commit([{ containerId: 'c2', updated: START + 5 }])).toEqual([]);
    expect(ledger.stats).toEqual({ delivered: 2, duplicatesDropped: 3, changedDuringRun: 1, rereadToVerify: 0 });
  });

  it('counts repeats a crawl dropped before handing the page over, through its own method', () => {
    const ledger = new DeliveryLedger(containers, START);
    ledger.droppedRepeats(4);
    ledger.droppedRepeats(0);
    expect(ledger.duplicatesDropped).toBe(4);
    // The counters are the ledger's: they cannot be written from outside.
    expect(() => {
      (ledger as unknown as { duplicatesDropped: number }).duplicatesDropped = 0;
    }).toThrow(TypeError);
    expect(ledger.duplicatesDropped).toBe(4);
  });

  it('tells images changed during the run by their `updated` date, moved by setChangedAfter', () => {
    const image = (sha: string, updated: string | null) => ({ sha, updated }) as ImageRecord;
    const ledger = new DeliveryLedger(IMAGES, Date.parse('2026-01-01T00:00:00Z'));
    ledger.setChangedAfter(Date.parse('2026-02-01T00:00:00Z'));
    ledger.commit([image('a'.repeat(64), '2026-01-15T00:00:00Z'), image('b'.repeat(64), '2026-02-02T00:00:00Z'), image('c'.repeat(64), null)]);
    expect(ledger.stats).toEqual({ delivered: 3, duplicatesDropped: 0, changedDuringRun: 1, rereadToVerify: 0 });
  });
});
