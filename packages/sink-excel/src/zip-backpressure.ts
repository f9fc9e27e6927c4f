import { setTimeout as sleep } from 'node:timers/promises';

/** Buffered sheet XML, in bytes, above which writing rows pauses until the zip compressor catches up. */
export const DEFAULT_ZIP_QUEUE_LIMIT = 8_000_000;

interface StreamState {
  length: number;
}
interface ArchiverEntryStream {
  _writableState?: StreamState;
  _readableState?: StreamState;
}

/**
 * exceljs' streaming writer hands each sheet's XML to archiver without looking at write()'s return value, so a
 * fast producer queues the whole uncompressed sheet in memory (docs/library-notes.md §1: 447 MB at 200k rows). This reads
 * the queue of archiver's entry stream behind the sheet and waits while it is over the limit. It relies on
 * exceljs 4.4.0 internals (`worksheet.stream.pipes[0]`), which is why exceljs is pinned exactly and a test checks
 * that the queue is found and stays bounded.
 */
export class ZipBackpressure {
  /** The largest queue seen after a wait, for tests and the benchmark. */
  maxQueuedAfterWait = 0;

  constructor(private readonly limit: number = DEFAULT_ZIP_QUEUE_LIMIT) {}

  /** The bytes queued between the sheet and the compressor, or undefined when the entry stream cannot be found. */
  static queued(sheetStream: unknown): number | undefined {
    const entry = (sheetStream as { pipes?: ArchiverEntryStream[] } | undefined)?.pipes?.[0];
    const writable = entry?._writableState?.length;
    const readable = entry?._readableState?.length;
    if (typeof writable !== 'number' || typeof readable !== 'number') return undefined;
    return writable + readable;
  }

  /**
   * Resolves once the sheet's queue is under the limit (at once when it already is, or cannot be read).
   * `check` throws to stop waiting: a failed file or an aborted run would otherwise never drain the queue.
   */
  async settle(sheetStream: unknown, check: () => void): Promise<void> {
    let queued = ZipBackpressure.queued(sheetStream);
    while (queued !== undefined && queued > this.limit) {
      check();
      await sleep(1);
      queued = ZipBackpressure.queued(sheetStream);
    }
    if (queued !== undefined && queued > this.maxQueuedAfterWait) this.maxQueuedAfterWait = queued;
  }
}
