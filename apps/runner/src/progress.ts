import type { Logger, PageInfo } from '@qcs-export/core';
import { createRateMeter } from './progress-rate.js';

export interface Progress {
  update(info: PageInfo): void;
  /** A stage with no page count to show: connecting, the self-test, finishing the outputs. */
  phase(label: string): void;
  done(): void;
  /**
   * Where log lines go while the progress line may be drawn: each one clears the line, prints, and redraws it, so a
   * warning never lands in the middle of a bar.
   */
  readonly logStream: NodeJS.WritableStream & { isTTY?: boolean };
}

export interface ProgressOptions {
  /** Default: process.stderr (stdout may be a data sink, "-"). */
  stream?: NodeJS.WriteStream;
  /**
   * A redrawn line with a bar; default when the stream is a terminal. Otherwise progress is a log line at info
   * level at most every `intervalMs`, so it carries the logger's timestamp and format (text or JSON) and --quiet
   * silences it.
   */
  interactive?: boolean;
  /** Needed when not interactive: where the periodic lines go. */
  logger?: Logger;
  intervalMs?: number;
  now?: () => number;
}

const BAR_MAX = 24;
const BAR_MIN = 8;

/** Progress on stderr: images so far of the expected total, rate, elapsed time and an ETA. */
export function createProgress(options: ProgressOptions = {}): Progress {
  const stream = options.stream ?? process.stderr;
  const now = options.now ?? Date.now;
  const interactive = options.interactive ?? stream.isTTY === true;
  const intervalMs = options.intervalMs ?? 10_000;
  const started = now();
  const meter = createRateMeter();
  let lastPrint = -Infinity;
  let drawn = '';
  let last: PageInfo | undefined;
  let rate: number | undefined;
  let phase: string | undefined;
  let ticker: NodeJS.Timeout | undefined;
  /** Whether onResize listens: from the first line drawn to done(). */
  let watchingWidth = false;

  const draw = () => {
    const text = fitToWidth(lineFor({ info: last, phase, elapsedMs: now() - started, rate, width: stream.columns }), stream.columns);
    stream.write(`\r\x1b[2K${text}`);
    drawn = text;
    if (!watchingWidth) stream.on('resize', onResize);
    watchingWidth = true;
  };
  /**
   * A terminal made narrower than the drawn line reflows it onto several rows (most do: VTE, iTerm2, Terminal.app,
   * Windows Terminal, kitty, tmux), the cursor on the last, where "\r" and a clear reach only that row. Go up to
   * the line's first row, clear to the end of the screen, and draw it again cut to the new width. (One that cuts
   * the line instead, as xterm does, loses as many rows above it from the screen.)
   */
  const onResize = () => {
    if (!drawn) return;
    const rows = stream.columns ? Math.ceil(drawn.length / stream.columns) : 1;
    if (rows > 1) stream.write(`\r\x1b[${rows - 1}A\x1b[J`);
    draw();
  };
  const clear = () => {
    if (drawn) stream.write('\r\x1b[2K');
    drawn = '';
  };
  const stopTicker = () => {
    if (ticker) clearInterval(ticker);
    ticker = undefined;
  };

  return {
    update(info) {
      last = info;
      rate = meter.rateAt(info, now());
      phase = undefined;
      stopTicker();
      if (interactive) draw();
      else if (now() - lastPrint >= intervalMs) {
        lastPrint = now();
        options.logger?.info(`progress: ${lineFor({ info, elapsedMs: now() - started, rate })}`);
      }
    },
    phase(label) {
      phase = label;
      if (!interactive) {
        options.logger?.info(label);
        return;
      }
      draw();
      // The clock keeps moving while a sink finishes a large workbook: redraw the elapsed time every second.
      stopTicker();
      ticker = setInterval(draw, 1000);
      ticker.unref();
    },
    done() {
      stopTicker();
      if (watchingWidth) stream.off('resize', onResize);
      watchingWidth = false;
      clear();
    },
    logStream: {
      isTTY: stream.isTTY,
      write(chunk: string | Uint8Array) {
        const redraw = drawn !== '';
        clear();
        stream.write(chunk);
        if (redraw) draw();
        return true;
      },
    } as NodeJS.WritableStream & { isTTY?: boolean },
  };
}

interface LineParts {
  info: PageInfo | undefined;
  phase?: string | undefined;
  elapsedMs: number;
  /** Records per second (see RateMeter); without it, no rate and no ETA are shown. */
  rate?: number | undefined;
  /** Terminal width; with it, the line gets a bar sized to fit. */
  width?: number | undefined;
}

/** "images 12,000/25,000 48% [#####-----] · 6,000/s · 0:02 · ETA 0:03", most important first, so a cut keeps it. */
export function lineFor({ info, phase, elapsedMs, rate, width }: LineParts): string {
  const total = info?.totalRecords ?? 0;
  const expected = info?.expectedTotal !== undefined ? Math.max(info.expectedTotal, total) : undefined;
  const count = `${info?.noun ?? 'images'} ${total.toLocaleString('en-US')}${expected !== undefined ? `/${expected.toLocaleString('en-US')}` : ''}`;
  const share = expected ? Math.min(1, total / expected) : undefined;
  const percent = share !== undefined ? ` ${Math.floor(share * 100)}%` : '';
  const tail = [`${formatDuration(elapsedMs)} elapsed`];
  if (phase) tail.unshift(phase);
  else {
    if (rate !== undefined) tail.unshift(`${Math.round(rate).toLocaleString('en-US')}/s`);
    if (expected !== undefined && rate !== undefined && rate > 0 && total < expected) tail.push(`ETA ${formatDuration(((expected - total) / rate) * 1000)}`);
    if (info) tail.push(`page ${info.page}`);
  }
  const head = `${count}${percent}`;
  const rest = ` · ${tail.join(' · ')}`;
  if (width === undefined || share === undefined) return `${head}${rest}`;
  const room = width - 1 - head.length - rest.length - 3;
  if (room < BAR_MIN) return `${head}${rest}`;
  const size = Math.min(BAR_MAX, room);
  const filled = Math.round(share * size);
  return `${head} [${'#'.repeat(filled)}${'-'.repeat(size - filled)}]${rest}`;
}

/** Cut to one column less than the terminal, so the cursor never wraps and every redraw stays on one line. */
export function fitToWidth(text: string, width: number | undefined): string {
  if (!width || width < 2 || text.length < width) return text;
  return `${text.slice(0, width - 2)}…`;
}

/** 42s, 3m05s, 1h02m. */
export function formatDuration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m`;
}
