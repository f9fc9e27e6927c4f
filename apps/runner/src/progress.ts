import type { PageInfo } from '@qcs-export/core';

export interface Progress {
  update(info: PageInfo): void;
  done(): void;
}

/**
 * On a terminal, one line redrawn in place; elsewhere (CI, files) a plain line at most every 10 s. Always on
 * stderr, since stdout may be a data sink ("-").
 */
export function createProgress(stream: NodeJS.WriteStream = process.stderr, now: () => number = Date.now): Progress {
  const started = now();
  let lastPrint = -Infinity;
  let drawn = false;
  const line = (info: PageInfo) => {
    const seconds = Math.max(0.001, (now() - started) / 1000);
    const total = info.expectedTotal ? `/${info.expectedTotal.toLocaleString('en-US')} (${Math.min(100, Math.floor((info.totalRecords / info.expectedTotal) * 100))}%)` : '';
    return `images ${info.totalRecords.toLocaleString('en-US')}${total} · ${Math.round(info.totalRecords / seconds).toLocaleString('en-US')}/s · page ${info.page}`;
  };
  return {
    update(info) {
      if (stream.isTTY) {
        stream.write(`\r\x1b[2K${line(info)}`);
        drawn = true;
      } else if (now() - lastPrint >= 10_000) {
        lastPrint = now();
        stream.write(`${line(info)}\n`);
      }
    },
    done() {
      if (drawn) stream.write('\r\x1b[2K');
      drawn = false;
    },
  };
}
