import { describe, expect, it } from 'vitest';
import { createProgress } from '../src/progress.js';

function fakeStream(isTTY: boolean) {
  const writes: string[] = [];
  return { writes, stream: { isTTY, write: (s: string) => writes.push(s) } as unknown as NodeJS.WriteStream };
}

describe('progress line', () => {
  it('on a terminal, redraws one line in place with count, percentage, rate and page, and clears it at the end', () => {
    let now = 0;
    const { writes, stream } = fakeStream(true);
    const p = createProgress(stream, () => now);
    now = 2000;
    p.update({ page: 12, records: 1000, totalRecords: 12_000, expectedTotal: 25_000 });
    p.done();
    expect(writes[0]).toBe('\r\x1b[2Kimages 12,000/25,000 (48%) · 6,000/s · page 12');
    expect(writes[1]).toBe('\r\x1b[2K');
  });

  it('off a terminal, prints plain lines at most every 10 s and no control characters', () => {
    let now = 0;
    const { writes, stream } = fakeStream(false);
    const p = createProgress(stream, () => now);
    for (let page = 1; page <= 30; page++) {
      now += 1000;
      p.update({ page, records: 100, totalRecords: page * 100, expectedTotal: undefined });
    }
    p.done();
    expect(writes).toHaveLength(3);
    expect(writes[0]).toBe('images 100 · 100/s · page 1\n');
    for (const w of writes) expect(w).not.toMatch(/[\r\x1b]/);
  });
});
