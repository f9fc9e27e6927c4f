import { EventEmitter } from 'node:events';
import type { Logger } from '@qcs-export/core';
import { describe, expect, it } from 'vitest';
import { createProgress, fitToWidth, formatDuration, lineFor } from '../src/progress.js';

/** A terminal as a tty.WriteStream shows it: a width, and a 'resize' event when the window changes it. */
function fakeTerminal(columns?: number) {
  const writes: string[] = [];
  const stream = Object.assign(new EventEmitter(), { isTTY: true, columns, write: (s: string) => writes.push(s) });
  const resize = (to: number) => {
    stream.columns = to;
    stream.emit('resize');
  };
  return { writes, resize, stream: stream as unknown as NodeJS.WriteStream };
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
    now = 1000;
    p.update({ page: 1, records: 1000, totalRecords: 1000, expectedTotal: 25_000 });
    now = 3000;
    p.update({ page: 12, records: 1000, totalRecords: 12_000, expectedTotal: 25_000 });
    p.done();
    // 11,000 since the first page, 2 s ago, is 5,500/s, so the 13,000 left take about 2.4 s.
    expect(writes[1]).toBe('\r\x1b[2Kimages 12,000/25,000 48% [############------------] · 5,500/s · 3s elapsed · ETA 2s · page 12');
    expect(writes[2]).toBe('\r\x1b[2K');
  });

  it('measures the rate and the ETA from the first page, not from the start with its login and first wait', () => {
    let now = 0;
    const { writes, stream } = fakeTerminal(200);
    const p = createProgress({ stream, now: () => now });
    // The login and the first page took 20 s; then 250 images a second.
    now = 20_000;
    p.update({ page: 1, records: 250, totalRecords: 250, expectedTotal: 10_000 });
    now = 22_000;
    p.update({ page: 3, records: 250, totalRecords: 750, expectedTotal: 10_000 });
    // One page has no rate yet: no rate, no ETA.
    expect(writes[0]).toBe('\r\x1b[2Kimages 250/10,000 2% [#-----------------------] · 20s elapsed · page 1');
    // 500 in the 2 s since the first page: 250/s, so the 9,250 left take 37 s (from the start it would say 3m17s).
    expect(writes[1]).toBe('\r\x1b[2Kimages 750/10,000 7% [##----------------------] · 250/s · 22s elapsed · ETA 37s · page 3');
  });

  it('measures a second list (the containers after the images) from its own first page', () => {
    let now = 0;
    const { writes, stream } = fakeTerminal(200);
    const p = createProgress({ stream, now: () => now });
    now = 1000;
    p.update({ page: 1, records: 1000, totalRecords: 1000, expectedTotal: 2000 });
    now = 2000;
    p.update({ page: 2, records: 1000, totalRecords: 2000, expectedTotal: 2000 });
    now = 30_000;
    p.update({ page: 1, records: 100, totalRecords: 100, expectedTotal: 1000, noun: 'containers' });
    now = 31_000;
    p.update({ page: 2, records: 100, totalRecords: 200, expectedTotal: 1000, noun: 'containers' });
    expect(writes.slice(2)).toEqual([
      '\r\x1b[2Kcontainers 100/1,000 10% [##----------------------] · 30s elapsed · page 1',
      '\r\x1b[2Kcontainers 200/1,000 20% [#####-------------------] · 100/s · 31s elapsed · ETA 8s · page 2',
    ]);
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

  it('when the terminal narrows, clears every row the wrapped line now takes and redraws it to the new width', () => {
    let now = 0;
    const { writes, resize, stream } = fakeTerminal(120);
    const p = createProgress({ stream, now: () => now });
    now = 1000;
    p.update({ page: 1, records: 1000, totalRecords: 1000, expectedTotal: 1_250_000 });
    now = 61_000;
    p.update({ page: 2, records: 1000, totalRecords: 2000, expectedTotal: 1_250_000 });
    const wide = (writes.at(-1) ?? '').replace('\r\x1b[2K', '');
    expect(wide.length).toBeGreaterThan(80);
    writes.length = 0;
    // The terminal reflows the line onto ceil(length / 40) rows, the cursor on the last: go up to the first, clear to the end.
    resize(40);
    expect(writes[0]).toBe(`\r\x1b[${Math.ceil(wide.length / 40) - 1}A\x1b[J`);
    expect(writes[1]).toMatch(/^\r\x1b\[2Kimages 2,000\/1,250,000 0% · .*…$/);
    expect((writes[1] ?? '').replace('\r\x1b[2K', '').length).toBe(39);
    // Wider again: the line fits its one row, which a redraw clears; the bar comes back.
    writes.length = 0;
    resize(120);
    expect(writes).toEqual([`\r\x1b[2K${wide}`]);
    // Once the line is gone, a resize draws nothing.
    p.done();
    writes.length = 0;
    resize(30);
    expect(writes).toEqual([]);
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
      'progress: images 100/3,000 3% · 1s elapsed · page 1',
      'progress: images 1,100/3,000 36% · 100/s · 11s elapsed · ETA 19s · page 11',
      'progress: images 2,100/3,000 70% · 100/s · 21s elapsed · ETA 9s · page 21',
      'finishing a (csv)…',
    ]);
  });
});

describe('progress text', () => {
  it('has no ETA without an expected total, and counts past a total that grew during the run', () => {
    expect(lineFor({ info: { page: 2, records: 5, totalRecords: 10, expectedTotal: undefined }, elapsedMs: 1000, rate: 10 })).toBe(
      'images 10 · 10/s · 1s elapsed · page 2',
    );
    expect(lineFor({ info: { page: 2, records: 5, totalRecords: 12, expectedTotal: 10 }, elapsedMs: 1000, rate: 12 })).toBe(
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
