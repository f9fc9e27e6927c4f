import type { Logger } from '@qcs-export/core';
import { describe, expect, it } from 'vitest';
import { createProgress, fitToWidth, formatDuration, lineFor } from '../src/progress.js';

function fakeTerminal(columns?: number) {
  const writes: string[] = [];
  return { writes, stream: { isTTY: true, columns, write: (s: string) => writes.push(s) } as unknown as NodeJS.WriteStream };
}

function recordingLogger() {
  const lines: string[] = [];
  const logger: Logger = { debug: () => {}, info: (m) => lines.push(m), warn: (m) => lines.push(`warn ${m}`), error: (m) => lines.push(`error ${m}`) };
  return { lines, logger };
}

describe('progress on a terminal', () => {
  it('redraws one line with count, percentage, bar, rate, elapsed time, ETA and page, and clears it at the end', () => {
    let now = 0;
    const { writes, stream } = fakeTerminal(100);
    const p = createProgress({ stream, now: () => now });
    now = 2000;
    p.update({ page: 12, records: 1000, totalRecords: 12_000, expectedTotal: 25_000 });
    p.done();
    // 12,000 in 2 s is 6,000/s, so the 13,000 left take about 2.2 s.
    expect(writes[0]).toBe('\r\x1b[2Kimages 12,000/25,000 48% [############------------] · 6,000/s · 2s elapsed · ETA 2s · page 12');
    expect(writes[1]).toBe('\r\x1b[2K');
  });

  it('never writes a line as wide as the terminal, so a 40-column pane redraws in place instead of scrolling', () => {
    let now = 0;
    const { writes, stream } = fakeTerminal(40);
    const p = createProgress({ stream, now: () => now });
    for (let page = 1; page <= 5; page++) {
      now += 60_000;
      p.update({ page, records: 1000, totalRecords: page * 1000, expectedTotal: 1_250_000 });
    }
    for (const w of writes) expect(w.replace('\r\x1b[2K', '').length).toBeLessThan(40);
    expect(writes.at(-1)).toMatch(/^\r\x1b\[2Kimages 5,000\/1,250,000 0% · .*…$/);
  });

  it('shows the finishing phase with the elapsed time instead of sitting at 100%', () => {
    let now = 0;
    const { writes, stream } = fakeTerminal(120);
    const p = createProgress({ stream, now: () => now });
    now = 1000;
    p.update({ page: 3, records: 1000, totalRecords: 3000, expectedTotal: 3000 });
    now = 65_000;
    p.phase('finishing compliance (excel)…');
    p.done();
    expect(writes[1]).toBe('\r\x1b[2Kimages 3,000/3,000 100% [########################] · finishing compliance (excel)… · 1m05s elapsed');
  });

  it('a log line clears the progress line, prints, and redraws it, so warnings never land inside the bar', () => {
    const { writes, stream } = fakeTerminal(80);
    const p = createProgress({ stream, now: () => 1000 });
    p.update({ page: 1, records: 10, totalRecords: 10, expectedTotal: undefined });
    p.logStream.write('warn: something\n');
    expect(writes.slice(1)).toEqual(['\r\x1b[2K', 'warn: something\n', writes[0]]);
  });
});

describe('progress off a terminal', () => {
  it('is an info log line at most every 10 s, with no control characters', () => {
    let now = 0;
    const { lines, logger } = recordingLogger();
    const writes: string[] = [];
    const stream = { isTTY: false, write: (s: string) => writes.push(s) } as unknown as NodeJS.WriteStream;
    const p = createProgress({ stream, logger, now: () => now });
    for (let page = 1; page <= 30; page++) {
      now += 1000;
      p.update({ page, records: 100, totalRecords: page * 100, expectedTotal: 3000 });
    }
    p.phase('finishing a (csv)…');
    p.done();
    expect(writes).toEqual([]);
    expect(lines).toEqual([
      'progress: images 100/3,000 3% · 100/s · 1s elapsed · ETA 29s · page 1',
      'progress: images 1,100/3,000 36% · 100/s · 11s elapsed · ETA 19s · page 11',
      'progress: images 2,100/3,000 70% · 100/s · 21s elapsed · ETA 9s · page 21',
      'finishing a (csv)…',
    ]);
  });
});

describe('progress text', () => {
  it('has no ETA without an expected total, and counts past a total that grew during the run', () => {
    expect(lineFor({ info: { page: 2, records: 5, totalRecords: 10, expectedTotal: undefined }, elapsedMs: 1000 })).toBe(
      'images 10 · 10/s · 1s elapsed · page 2',
    );
    expect(lineFor({ info: { page: 2, records: 5, totalRecords: 12, expectedTotal: 10 }, elapsedMs: 1000 })).toBe(
      'images 12/12 100% · 12/s · 1s elapsed · page 2',
    );
  });

  it('formats durations as a person reads them', () => {
    expect([0, 42_000, 185_000, 3_720_000].map(formatDuration)).toEqual(['0s', '42s', '3m05s', '1h02m']);
  });

  it('cuts with an ellipsis one column short of the width', () => {
    expect(fitToWidth('abcdefghij', 6)).toBe('abcd…');
    expect(fitToWidth('abc', 6)).toBe('abc');
  });
});
