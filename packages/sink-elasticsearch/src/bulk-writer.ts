import type { Client } from '@elastic/elasticsearch';
import { SinkError, type Logger } from '@qcs-export/core';
import { setTimeout as sleep } from 'node:timers/promises';
import { explain, isTransient, reasonOf, statusOf } from './connection.js';
import type { DeadLetter, DeadLetterFile } from './dead-letter.js';
import type { ElasticsearchSinkOptions } from './options.js';

/** One document, serialized once: the action line and the source line, ready to join into a bulk body. */
export interface BulkEntry {
  id: string | undefined;
  lines: string;
}

interface BulkItemResult {
  status: number;
  result?: string;
  error?: { type?: string; reason?: string };
}

export interface BulkStats {
  written: number;
  created: number;
  updated: number;
  /** Documents the cluster already had from this run (a create retried after a lost response). */
  duplicates: number;
  rejected: number;
  itemRetries: number;
  requestRetries: number;
  requests: number;
  bytes: number;
}

/** Backoff with full jitter: a busy cluster is given more time on each try, and clients do not retry in step. */
export function backoffMs(attempt: number, baseMs: number, maxMs = 30_000): number {
  return Math.random() * Math.min(maxMs, baseMs * 2 ** attempt);
}

/**
 * Sends documents in bulk requests sized by bytes and count, with at most `concurrency` requests in flight;
 * add() waits when they are all busy, which is how a slow cluster slows the export instead of filling memory.
 * Per-document 429s are retried with backoff in the same slot; other rejections go to the dead-letter file.
 */
export class BulkWriter {
  readonly stats: BulkStats = { written: 0, created: 0, updated: 0, duplicates: 0, rejected: 0, itemRetries: 0, requestRetries: 0, requests: 0, bytes: 0 };
  private buffer: BulkEntry[] = [];
  private bufferBytes = 0;
  private readonly inFlight = new Set<Promise<void>>();
  private failure: Error | undefined;

  constructor(
    private readonly client: Client,
    private readonly options: ElasticsearchSinkOptions,
    private readonly deadLetters: DeadLetterFile,
    private readonly signal: AbortSignal,
    private readonly logger: Logger,
    /** First backoff step in ms; tests shorten it. */
    private readonly backoffBaseMs = 500,
  ) {}

  async add(entry: BulkEntry): Promise<void> {
    this.throwIfFailed();
    this.buffer.push(entry);
    this.bufferBytes += Buffer.byteLength(entry.lines);
    if (this.bufferBytes >= this.options.flushBytes || this.buffer.length >= this.options.flushDocs) await this.flush();
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

  /** Sends the rest and waits for every answer; throws the first request-level failure. */
  async drain(): Promise<void> {
    await this.flush();
    while (this.inFlight.size > 0) await Promise.race(this.inFlight);
    this.throwIfFailed();
  }

  private throwIfFailed(): void {
    if (this.failure) throw this.failure;
  }

  private async send(entries: BulkEntry[], itemAttempt: number): Promise<void> {
    const body = entries.map((e) => e.lines).join('');
    const response = await this.request(body, entries);
    if (!response) return;
    const retry: BulkEntry[] = [];
    const letters: DeadLetter[] = [];
    response.items.forEach((item, i) => {
      const result = Object.values(item)[0] as BulkItemResult;
      const entry = entries[i] as BulkEntry;
      if (result.status < 300) {
        this.stats.written += 1;
        if (result.result === 'updated') this.stats.updated += 1;
        else this.stats.created += 1;
      } else if (result.status === 409 && this.options.dataStream) {
        // create is used only for data streams, where the _id is sha + export time: 409 means this run already wrote it.
        this.stats.written += 1;
        this.stats.duplicates += 1;
      } else if (result.status === 429 && itemAttempt < this.options.maxRetries) {
        retry.push(entry);
      } else {
        letters.push(this.letter(entry, result.status, result.error?.type ?? 'unknown', result.status === 429 ? `still rejected with 429 after ${itemAttempt} retries: ${result.error?.reason ?? ''}` : (result.error?.reason ?? '')));
      }
    });
    await this.reject(letters);
    if (retry.length > 0) {
      this.stats.itemRetries += retry.length;
      this.logger.debug(`elasticsearch: ${retry.length} documents answered 429, retrying (attempt ${itemAttempt + 1})`);
      await sleep(backoffMs(itemAttempt, this.backoffBaseMs), undefined, { signal: this.signal });
      await this.send(retry, itemAttempt + 1);
    }
  }

  /** One bulk request, retried on 429/5xx and lost connections; a 413 splits the request in two. */
  private async request(body: string, entries: BulkEntry[]): Promise<{ items: Array<Record<string, BulkItemResult>> } | undefined> {
    for (let attempt = 0; ; attempt++) {
      this.signal.throwIfAborted();
      try {
        this.stats.requests += 1;
        this.stats.bytes += Buffer.byteLength(body);
        const params = { index: this.options.index, body, ...(this.options.pipeline ? { pipeline: this.options.pipeline } : {}) };
        return (await this.client.bulk(params as never, { signal: this.signal })) as unknown as { items: Array<Record<string, BulkItemResult>> };
      } catch (error) {
        if (this.signal.aborted) throw error;
        if (statusOf(error) === 413) return this.split(entries, error);
        if (!isTransient(error) || attempt >= this.options.maxRetries) throw explain(error, this.options, `a bulk request of ${entries.length} documents${attempt > 0 ? ` (after ${attempt} retries)` : ''}`);
        this.stats.requestRetries += 1;
        this.logger.warn(`elasticsearch: bulk request failed (${reasonOf(error)}); retrying`);
        await sleep(backoffMs(attempt, this.backoffBaseMs), undefined, { signal: this.signal });
      }
    }
  }

  private async split(entries: BulkEntry[], error: unknown): Promise<undefined> {
    if (entries.length === 1) {
      const entry = entries[0] as BulkEntry;
      await this.reject([this.letter(entry, 413, 'request_entity_too_large', `the document alone is larger than the cluster accepts (http.max_content_length): ${reasonOf(error)}`)]);
      return undefined;
    }
    const half = Math.ceil(entries.length / 2);
    await this.send(entries.slice(0, half), 0);
    await this.send(entries.slice(half), 0);
    return undefined;
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
      throw new SinkError(`${letters.length} documents were rejected by Elasticsearch and could not be written to ${this.deadLetters.path}: ${(error as Error).message}`);
    }
  }
}
