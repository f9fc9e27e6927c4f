import { errors, type Client } from '@elastic/elasticsearch';
import { backoffDelay, SinkError, SinkIncompleteError, type Logger } from '@qcs-export/core/sink';
import { setTimeout as sleep } from 'node:timers/promises';
import { BatchLimit, splitInTwo } from './batch-limit.js';
import type { BulkEntry } from './bulk-entry.js';
import { acknowledgedItems, type BulkAnswer, type BulkItemResult, UnacknowledgedBulk } from './bulk-answer.js';
import { describeNodes, explain, indexingPressureOf, isTransient, reasonOf, statusOf } from './connection.js';
import type { DeadLetter, DeadLetterFile } from './dead-letter.js';
import type { ElasticsearchSinkOptions } from './options.js';

export interface BulkStats {
  /** Documents a 2xx result of a checked bulk answer acknowledged (created, updated, or a duplicate of this run's). */
  written: number;
  created: number;
  updated: number;
  /** Documents the cluster already had from this run (a create retried after a lost response). */
  duplicates: number;
  /** Documents acknowledged as "noop": the ingest pipeline dropped them, so the index does not hold them. */
  dropped: number;
  rejected: number;
  itemRetries: number;
  requestRetries: number;
  requests: number;
  /** Bytes of the request bodies the cluster accepted (2xx): each request that went through, counted once. */
  bytes: number;
  /** Bytes of the request bodies it did not accept (413, 429, 5xx, a lost answer): their documents were sent again, retried or split. */
  bytesNotAccepted: number;
}

/** Cap on one backoff delay. */
const MAX_BACKOFF_MS = 30_000;

/**
 * The wait before retry number `retry` (1 for the first): core's backoff, exponential with equal jitter and capped,
 * so a busy cluster is given more time on each try and writers do not retry in step.
 */
const backoffMs = (retry: number, baseMs: number): number => backoffDelay(retry, baseMs, MAX_BACKOFF_MS);

/**
 * Sends documents in bulk requests sized by bytes and count, with at most `concurrency` requests in flight;
 * add() waits when they are all busy, which is how a slow cluster slows the export instead of filling memory.
 * Per-document 429s are retried with backoff in the same slot; other rejections go to the dead-letter file.
 */
export class BulkWriter {
  readonly stats: BulkStats = {
    written: 0,
    created: 0,
    updated: 0,
    duplicates: 0,
    dropped: 0,
    rejected: 0,
    itemRetries: 0,
    requestRetries: 0,
    requests: 0,
    bytes: 0,
    bytesNotAccepted: 0,
  };
  private readonly limit: BatchLimit;
  private buffer: BulkEntry[] = [];
  private bufferBytes = 0;
  private readonly inFlight = new Set<Promise<void>>();
  /** The step afterSent() was last given, waiting for its documents or running; it never rejects (see afterSent). */
  private step: Promise<void> | undefined;
  private failure: Error | undefined;

  constructor(
    private readonly client: Client,
    private readonly options: ElasticsearchSinkOptions,
    private readonly deadLetters: DeadLetterFile,
    private readonly signal: AbortSignal,
    private readonly logger: Logger,
    /** First backoff step in ms; tests shorten it. */
    private readonly backoffBaseMs = 500,
  ) {
    this.limit = new BatchLimit(options, logger);
  }

  async add(entry: BulkEntry): Promise<void> {
    this.throwIfFailed();
    // A request never grows past the byte limit: it goes before the document that would take it over.
    if (this.limit.wouldOverflow(this.buffer.length, this.bufferBytes, entry.bytes)) await this.flush();
    this.buffer.push(entry);
    this.bufferBytes += entry.bytes;
    if (this.bufferBytes >= this.limit.bytes || this.buffer.length >= this.limit.docs) await this.flush();
  }

  /** Sends what is buffered once a request slot is free; does not wait for the answer. */
  async flush(): Promise<void> {
    if (this.buffer.length === 0) return;
    const entries = this.buffer;
    this.buffer = [];
    this.bufferBytes = 0;
    while (this.inFlight.size >= this.options.concurrency) await Promise.race(this.inFlight);
    this.throwIfFailed();
    const request: Promise<void> = this.send(entries, 0)
      .catch((error: unknown) => {
        this.failure ??= error as Error;
      })
      .finally(() => this.inFlight.delete(request));
    this.inFlight.add(request);
  }

  /** Sends the rest and waits for every answer and the step afterSent() was given; throws the first failure. */
  async drain(): Promise<void> {
    await this.flush();
    while (this.inFlight.size > 0) await Promise.race(this.inFlight);
    await this.step;
    this.throwIfFailed();
  }

  /**
   * Runs `step` once every document added so far is acknowledged (retries included), while the documents added after
   * it go on being sent: a step that must follow those documents, such as deleting what they replaced, then costs the
   * export only its own time on the cluster, not an empty pipeline while it runs. Waiting for all answers instead
   * (drain, then the step) left no request in flight until the step was done. One step at a time: the next call waits
   * for this one, so steps never pile up. A step that fails fails the writer, as a failed request does: the next add,
   * flush or drain throws it.
   */
  async afterSent(step: () => Promise<void>): Promise<void> {
    await this.flush();
    await this.step;
    this.throwIfFailed();
    // Requests never reject (send's failure is kept in this.failure), so this waits for all of them to settle.
    const sent = Promise.all([...this.inFlight]);
    this.step = sent
      .then(() => {
        this.throwIfFailed();
        return step();
      })
      .catch((error: unknown) => {
        this.failure ??= error as Error;
      });
  }

  private throwIfFailed(): void {
    if (this.failure) throw this.failure;
  }

  private async send(entries: BulkEntry[], itemAttempt: number): Promise<void> {
    // Documents gathered before the limit was lowered, or refused as too large, go as several requests within it.
    const requests = this.limit.pack(entries);
    if (requests.length > 1) {
      for (const request of requests) await this.send(request, itemAttempt);
      return;
    }
    const body = entries.map((e) => e.lines).join('');
    const items = await this.request(body, entries);
    if (!items) return;
    const retry: BulkEntry[] = [];
    const letters: DeadLetter[] = [];
    items.forEach((result, i) => {
      const entry = entries[i] as BulkEntry;
      if (result.status < 300) {
        this.stats.written += 1;
        if (result.result === 'updated') this.stats.updated += 1;
        else if (result.result === 'noop') this.stats.dropped += 1;
        else this.stats.created += 1;
      } else if (result.status === 409 && this.options.dataStream) {
        // create is used only for data streams, where the _id is sha + export time: 409 means this run already wrote it.
        this.stats.written += 1;
        this.stats.duplicates += 1;
      } else if (result.status === 429 && itemAttempt < this.options.maxRetries) {
        retry.push(entry);
      } else {
        letters.push(
          this.letter(
            entry,
            result.status,
            result.error?.type ?? 'unknown',
            result.status === 429 ? `still rejected with 429 after ${itemAttempt} retries: ${result.error?.reason ?? ''}` : (result.error?.reason ?? ''),
          ),
        );
      }
    });
    await this.reject(letters);
    if (retry.length > 0) {
      this.stats.itemRetries += retry.length;
      this.logger.debug(`elasticsearch: ${retry.length} documents answered 429, retrying (attempt ${itemAttempt + 1})`);
      await sleep(backoffMs(itemAttempt + 1, this.backoffBaseMs), undefined, { signal: this.signal });
      await this.send(retry, itemAttempt + 1);
    }
  }

  /**
   * One bulk request, retried on 429/5xx and lost connections. A request too large for the cluster (413, or a 429
   * from indexing pressure for a request over the node's whole budget, which no wait cures) is split instead, and
   * so is one still answered 429 after its retries: smaller requests may pass where it does not.
   *
   * An answer that does not account for every document (see acknowledgedItems) is sent again, which is safe because
   * every operation names its own _id (an index overwrites; a data stream's create of a document already there is a
   * 409, counted as this run's duplicate), and fails the run once the retries are spent.
   */
  private async request(body: string, entries: BulkEntry[]): Promise<BulkItemResult[] | undefined> {
    const bytes = Buffer.byteLength(body);
    for (let attempt = 0; ; attempt++) {
      this.signal.throwIfAborted();
      try {
        this.stats.requests += 1;
        const params = { index: this.options.index, body, ...(this.options.pipeline ? { pipeline: this.options.pipeline } : {}) };
        const answer = (await this.client.bulk(params as never, { signal: this.signal, meta: true })) as unknown as BulkAnswer;
        const items = acknowledgedItems(answer, entries, this.options.dataStream ? 'create' : 'index');
        this.stats.bytes += bytes;
        return items;
      } catch (error) {
        if (this.signal.aborted) throw error;
        this.stats.bytesNotAccepted += bytes;
        const lost = unacknowledged(error);
        if (lost) {
          if (!lost.retryable || attempt >= this.options.maxRetries) throw this.lostAnswer(lost, entries.length, attempt);
          this.stats.requestRetries += 1;
          this.logger.warn(`elasticsearch: a bulk request of ${entries.length} documents got ${lost.what}; sending it again`);
          await sleep(backoffMs(attempt + 1, this.backoffBaseMs), undefined, { signal: this.signal });
          continue;
        }
        if (statusOf(error) === 413) return this.split(entries, bytes, error, 'larger than the cluster accepts (http.max_content_length)');
        const pressure = indexingPressureOf(error);
        if (pressure && pressure.requestBytes > pressure.limitBytes)
          return this.split(
            entries,
            bytes,
            error,
            `larger than the node's indexing-pressure budget (indexing_pressure.memory.limit, ${pressure.limitBytes} bytes)`,
          );
        if (!isTransient(error) || attempt >= this.options.maxRetries) {
          if (statusOf(error) === 429 && entries.length > 1) return this.split(entries, bytes, error, `still answered 429 after ${attempt} retries`);
          throw explain(error, this.options, `a bulk request of ${entries.length} documents${attempt > 0 ? ` (after ${attempt} retries)` : ''}`);
        }
        this.stats.requestRetries += 1;
        this.logger.warn(`elasticsearch: bulk request failed (${reasonOf(error)}); retrying`);
        await sleep(backoffMs(attempt + 1, this.backoffBaseMs), undefined, { signal: this.signal });
      }
    }
  }

  /**
   * Sends the documents of a refused request again as two requests of about half its bytes, and keeps the larger
   * half as the limit for the rest of the run. A document alone too large for the cluster is dead-lettered.
   */
  private async split(entries: BulkEntry[], bytes: number, error: unknown, why: string): Promise<undefined> {
    if (entries.length === 1) {
      const entry = entries[0] as BulkEntry;
      const status = statusOf(error) ?? 413;
      const type = status === 413 ? 'request_entity_too_large' : 'es_rejected_execution_exception';
      await this.reject([this.letter(entry, status, type, `the document alone is ${why}: ${reasonOf(error)}`)]);
      return undefined;
    }
    const halves = splitInTwo(entries);
    const larger = Math.max(...halves.map((half) => half.reduce((sum, e) => sum + e.bytes, 0)));
    this.limit.lowerTo(larger, `a bulk request of ${entries.length} documents and ${bytes} bytes was ${why}`);
    for (const half of halves) await this.send(half, 0);
    return undefined;
  }

  private lostAnswer(lost: UnacknowledgedBulk, documents: number, retries: number): SinkIncompleteError {
    return new SinkIncompleteError(
      `Elasticsearch at ${describeNodes(this.options)} answered a bulk request of ${documents} documents with ${lost.what}` +
        `${retries > 0 ? ` (${retries} retries)` : ''}, not one result per document, so none of them counts as written;`,
      {
        setting: 'node',
        hint:
          'a proxy or load balancer in front of the cluster probably answered instead of the node: point node at the cluster, ' +
          'or have the proxy pass _bulk requests and answers through unchanged (no redirects, no cached or empty answers)',
      },
    );
  }

  private letter(entry: BulkEntry, status: number, type: string, reason: string): DeadLetter {
    const source = entry.lines.slice(entry.lines.indexOf('\n') + 1).trimEnd();
    return { _id: entry.id, index: this.options.index, status, error: { type, reason }, document: JSON.parse(source) };
  }

  private async reject(letters: DeadLetter[]): Promise<void> {
    if (letters.length === 0) return;
    this.stats.rejected += letters.length;
    try {
      await this.deadLetters.add(letters);
    } catch (error) {
      throw new SinkError(
        `${letters.length} documents were rejected by Elasticsearch and could not be written to ${this.deadLetters.path}: ${(error as Error).message}`,
      );
    }
  }
}

/** Why an answer or a client error means the documents of a bulk request are unaccounted for, if it does. */
function unacknowledged(error: unknown): UnacknowledgedBulk | undefined {
  if (error instanceof UnacknowledgedBulk) return error;
  if (error instanceof errors.DeserializationError) return new UnacknowledgedBulk('a JSON answer that cannot be parsed', true);
  // The client checks the header on 2xx answers only: a 2xx without it was not written by an Elasticsearch node.
  if (error instanceof errors.ProductNotSupportedError) return new UnacknowledgedBulk('a 2xx answer without the x-elastic-product header', true);
  return undefined;
}
