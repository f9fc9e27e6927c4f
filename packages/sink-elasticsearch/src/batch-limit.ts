import type { Logger } from '@qcs-export/core/sink';
import type { BulkEntry } from './bulk-entry.js';
import type { ElasticsearchSinkOptions } from './options.js';

/**
 * The most one bulk request may hold: flushBytes and flushDocs at first. When the cluster refuses a request as
 * too large (413, or a 429 from indexing pressure), the byte limit drops to the larger half of that request for the
 * rest of the run, so later requests go at a size the cluster takes instead of each being refused and split again.
 * Only bytes are lowered: both refusals are about bytes, and a lower count would only slow small documents.
 */
export class BatchLimit {
  bytes: number;
  readonly docs: number;

  constructor(
    private readonly options: ElasticsearchSinkOptions,
    private readonly logger: Logger,
  ) {
    this.bytes = options.flushBytes;
    this.docs = options.flushDocs;
  }

  /** Whether a request holding `docs` documents and `bytes` bytes must go before a document of `next` bytes joins it. */
  wouldOverflow(docs: number, bytes: number, next: number): boolean {
    return docs > 0 && (docs >= this.docs || bytes + next > this.bytes);
  }

  /** Cuts documents into requests within the limit, in order; a document larger than the limit goes alone. */
  pack(entries: readonly BulkEntry[]): BulkEntry[][] {
    const requests: BulkEntry[][] = [];
    let current: BulkEntry[] = [];
    let bytes = 0;
    for (const entry of entries) {
      if (this.wouldOverflow(current.length, bytes, entry.bytes)) {
        requests.push(current);
        current = [];
        bytes = 0;
      }
      current.push(entry);
      bytes += entry.bytes;
    }
    if (current.length > 0) requests.push(current);
    return requests;
  }

  /** Lowers the byte limit to `bytes` for the rest of the run, saying so once per change, since it slows the run. */
  lowerTo(bytes: number, why: string): void {
    if (bytes >= this.bytes) return;
    this.bytes = bytes;
    this.logger.warn(
      `elasticsearch: ${why}; sending at most ${bytes} bytes per bulk request for the rest of the run ` +
        `(flushBytes is ${this.options.flushBytes}: lowering it avoids the refused requests)`,
    );
  }
}

/** Two requests of about equal bytes (not documents: their sizes differ), in order, neither empty. Needs two documents. */
export function splitInTwo(entries: readonly BulkEntry[]): [BulkEntry[], BulkEntry[]] {
  const total = entries.reduce((sum, e) => sum + e.bytes, 0);
  let cut = 1;
  let best = Number.POSITIVE_INFINITY;
  let before = 0;
  for (let i = 1; i < entries.length; i++) {
    before += (entries[i - 1] as BulkEntry).bytes;
    const larger = Math.max(before, total - before);
    if (larger < best) [cut, best] = [i, larger];
  }
  return [entries.slice(0, cut), entries.slice(cut)];
}
