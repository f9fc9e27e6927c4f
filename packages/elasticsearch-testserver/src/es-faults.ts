import type { ItemError } from './es-errors.js';
import type { ItemFaults } from './es-bulk.js';

export type EsFault =
  /** The next `count` bulk items (over all requests) get 429 es_rejected_execution_exception and are not stored. */
  | { kind: 'item-429'; count: number }
  /** Every bulk item with this _id gets this error (default 400 document_parsing_exception) and is not stored, until cleared. */
  | { kind: 'item-reject'; id: string; status?: number; type?: string; reason?: string }
  /** The next `count` _bulk requests are answered with this HTTP status and an Elasticsearch error body. */
  | { kind: 'request-status'; status: number; count: number }
  /** The next `count` _bulk requests lose their connection without an answer. */
  | { kind: 'drop'; count: number }
  /** Every _bulk request whose body is over `maxBytes` is answered 413, as a node with http.max_content_length = maxBytes, until cleared. */
  | { kind: 'request-too-large'; maxBytes: number }
  /**
   * Every _bulk request whose body is over `maxBytes` is answered 429 es_rejected_execution_exception by indexing
   * pressure, as a node whose indexing_pressure.memory.limit is `maxBytes`: such a request is refused however long
   * the client waits. Until cleared.
   */
  | { kind: 'indexing-pressure'; maxBytes: number }
  /**
   * The next `count` _bulk requests get an answer a proxy or load balancer in front of the node may give (see
   * BulkAnswerFault), with the node's own headers (x-elastic-product included), so the client takes it for the node's.
   */
  | { kind: 'bulk-answer'; answer: BulkAnswerFault; count: number /** Location of a redirect. Default: the request's own path. */; location?: string };

/**
 * - `empty-200`: 200 with no body; nothing is stored.
 * - `redirect`: 307 with a Location and no body; nothing is stored.
 * - `not-json`: 200 with an HTML page; nothing is stored.
 * - `fewer-items`: only the first half of the documents (rounded down) are stored and answered.
 * - `wrong-id`: every document is stored, but the last item names another _id.
 * - `unstored`: a well-formed answer, every item 201 created, and nothing stored (a proxy replaying an answer, a
 *   node losing writes): only reading the index back shows it.
 */
export type BulkAnswerFault = 'empty-200' | 'redirect' | 'not-json' | 'fewer-items' | 'wrong-id' | 'unstored';

// The error types a node answers these statuses with, so a client's retry logic sees what it would in production.
const REQUEST_ERRORS: Record<number, [type: string, reason: string]> = {
  401: ['security_exception', 'unable to authenticate user for REST request [/_bulk]'],
  403: ['security_exception', 'action [indices:data/write/bulk] is unauthorized'],
  408: ['timeout_exception', 'request timed out'],
  413: ['request_entity_too_large', 'the request is larger than http.max_content_length'],
  // a busy node: this request would fit its indexing-pressure budget, but others hold most of it (a retry may pass)
  429: [
    'es_rejected_execution_exception',
    'rejected execution of coordinating operation [coordinating_and_primary_bytes=107000000, replica_bytes=0, all_bytes=107000000, ' +
      'coordinating_operation_bytes=524288, max_coordinating_and_primary_bytes=107374182] (injected)',
  ],
  500: ['exception', 'internal server error (injected)'],
  502: ['exception', 'bad gateway (injected)'],
  503: ['unavailable_shards_exception', '[index][0] primary shard is not active Timeout: [1m] (injected)'],
  504: ['timeout_exception', 'gateway timeout (injected)'],
};

/** The faults a test has asked for, consumed in the order the server meets the requests and items they apply to. */
export class Faults implements ItemFaults {
  private item429 = 0;
  private readonly rejects = new Map<string, ItemError>();
  private readonly requestStatuses: Array<{ status: number; count: number }> = [];
  private drops = 0;
  private maxContentLength: number | undefined;
  private indexingPressureLimit: number | undefined;
  private readonly bulkAnswers: Array<{ answer: BulkAnswerFault; count: number; location: string | undefined }> = [];

  inject(fault: EsFault): void {
    if (fault.kind === 'item-429') this.item429 += fault.count;
    else if (fault.kind === 'item-reject') {
      const reason = fault.reason ?? `[1:1] failed to parse document with id '${fault.id}' (injected)`;
      this.rejects.set(fault.id, { status: fault.status ?? 400, type: fault.type ?? 'document_parsing_exception', reason });
    } else if (fault.kind === 'request-status') {
      if (fault.count > 0) this.requestStatuses.push({ status: fault.status, count: fault.count });
    } else if (fault.kind === 'request-too-large') this.maxContentLength = fault.maxBytes;
    else if (fault.kind === 'indexing-pressure') this.indexingPressureLimit = fault.maxBytes;
    else if (fault.kind === 'bulk-answer') {
      if (fault.count > 0) this.bulkAnswers.push({ answer: fault.answer, count: fault.count, location: fault.location });
    } else this.drops += fault.count;
  }

  clear(): void {
    this.item429 = 0;
    this.rejects.clear();
    this.requestStatuses.length = 0;
    this.drops = 0;
    this.maxContentLength = undefined;
    this.indexingPressureLimit = undefined;
    this.bulkAnswers.length = 0;
  }

  /** The answer fault this bulk request is to get, if any. */
  takeBulkAnswer(): { answer: BulkAnswerFault; location: string | undefined } | undefined {
    const fault = this.bulkAnswers[0];
    if (!fault) return undefined;
    if (--fault.count <= 0) this.bulkAnswers.shift();
    return { answer: fault.answer, location: fault.location };
  }

  /**
   * The answer to a bulk body too large for the node, if it is: 413 from the HTTP layer, or 429 from the
   * coordinating node's indexing-pressure check, worded as Elasticsearch 8 words it (IndexingPressure).
   */
  sizeRejection(bytes: number): { status: number; type: string; reason: string } | undefined {
    if (this.maxContentLength !== undefined && bytes > this.maxContentLength) {
      return {
        status: 413,
        type: 'request_entity_too_large',
        reason: `the request of ${bytes} bytes is larger than http.max_content_length [${this.maxContentLength}b]`,
      };
    }
    if (this.indexingPressureLimit !== undefined && bytes > this.indexingPressureLimit) {
      const reason =
        'rejected execution of coordinating operation [coordinating_and_primary_bytes=0, replica_bytes=0, all_bytes=0, ' +
        `coordinating_operation_bytes=${bytes}, max_coordinating_and_primary_bytes=${this.indexingPressureLimit}]`;
      return { status: 429, type: 'es_rejected_execution_exception', reason };
    }
    return undefined;
  }

  /** Whether this bulk request is to lose its connection. */
  takeDrop(): boolean {
    if (this.drops <= 0) return false;
    this.drops -= 1;
    return true;
  }

  /** The status and error this bulk request is to be answered with instead of being executed, if any. */
  takeRequestStatus(): { status: number; type: string; reason: string } | undefined {
    const fault = this.requestStatuses[0];
    if (!fault) return undefined;
    if (--fault.count <= 0) this.requestStatuses.shift();
    const [type, reason] = REQUEST_ERRORS[fault.status] ?? ['exception', `injected status ${fault.status}`];
    return { status: fault.status, type, reason };
  }

  itemError(id: string | undefined): ItemError | undefined {
    if (this.item429 > 0) {
      this.item429 -= 1;
      return {
        status: 429,
        type: 'es_rejected_execution_exception',
        reason:
          'rejected execution of primary operation [coordinating_and_primary_bytes=107000000, replica_bytes=0, all_bytes=107000000, ' +
          'primary_operation_bytes=4096, max_coordinating_and_primary_bytes=107374182] (injected)',
      };
    }
    return id === undefined ? undefined : this.rejects.get(id);
  }
}
