import type { Client } from '@elastic/elasticsearch';
import { defineSinkPlugin, resolveOutputPath, SinkError, type ImageRecord, type RunContext, type Sink, type SinkState, type SinkSummary } from '@qcs-export/core';
import { BulkWriter, type BulkEntry } from './bulk-writer.js';
import { createClient, describeNodes, explain, verifyCluster } from './connection.js';
import { DeadLetterFile } from './dead-letter.js';
import { elasticsearchOptions, type ElasticsearchSinkOptions } from './options.js';
import { checkTemplatePrecedence, prepareTarget } from './template.js';

/** Internal knobs for tests and the benchmark, not part of the config. */
export interface ElasticsearchSinkInternals {
  /** First backoff step in ms. Default: 500. */
  backoffBaseMs?: number;
}

class ElasticsearchSink implements Sink {
  private client: Client | undefined;
  private writer: BulkWriter | undefined;
  private state: SinkState = 'new';
  private readonly timestamp: string;
  private readonly deadLetters: DeadLetterFile;
  private readonly controller = new AbortController();

  constructor(
    private readonly options: ElasticsearchSinkOptions,
    private readonly ctx: RunContext,
    private readonly internals: ElasticsearchSinkInternals = {},
  ) {
    this.timestamp = ctx.startedAt.toISOString();
    this.deadLetters = new DeadLetterFile(deadLetterPathOf(options, ctx));
    ctx.signal.addEventListener('abort', () => this.controller.abort(ctx.signal.reason), { once: true });
  }

  async open(): Promise<void> {
    if (this.state !== 'new') throw new SinkError(`the elasticsearch sink for ${this.options.index} was already opened`);
    const client = await createClient(this.options, `qcs-export/${this.ctx.toolVersion}`);
    this.client = client;
    try {
      await verifyCluster(client, this.options);
      await prepareTarget(client, this.options, this.ctx.toolVersion);
    } catch (error) {
      await client.close();
      throw error;
    }
    if ((this.state as SinkState) === 'aborted') return void (await client.close());
    this.writer = new BulkWriter(client, this.options, this.deadLetters, this.controller.signal, this.ctx.logger, this.internals.backoffBaseMs);
    this.state = 'open';
  }

  async write(batch: readonly ImageRecord[]): Promise<void> {
    if (this.state !== 'open' || !this.writer) throw new SinkError(`the elasticsearch sink for ${this.options.index} is ${this.state}, cannot write`);
    for (const record of batch) await this.writer.add(this.entry(record));
  }

  /**
   * Sends what is still buffered and refreshes the index: documents become visible as they are sent (this sink
   * publishes as it goes), so this phase is where its end-of-run failures surface, before any file sink of the
   * run replaces its previous output.
   */
  async prepare(): Promise<void> {
    if (this.state !== 'open' || !this.writer || !this.client) throw new SinkError(`the elasticsearch sink for ${this.options.index} is ${this.state}, cannot prepare`);
    this.state = 'prepared';
    const { writer, client } = this;
    await writer.drain();
    if (this.options.refresh) await client.indices.refresh({ index: this.options.index }).catch((error: unknown) => Promise.reject(explain(error, this.options, `refreshing ${this.options.index}`)));
    await this.deadLetters.finish();
  }

  async close(): Promise<SinkSummary> {
    if (this.state === 'open') {
      try {
        await this.prepare();
      } catch (error) {
        // Documents the cluster refused before the failure are still worth keeping, to replay them.
        await this.deadLetters.commit().catch(() => undefined);
        await this.client?.close();
        this.state = 'closed';
        throw error;
      }
    }
    if (this.state !== 'prepared' || !this.writer || !this.client) throw new SinkError(`the elasticsearch sink for ${this.options.index} is ${this.state}, cannot close`);
    this.state = 'closed';
    const { writer, client } = this;
    try {
      const deadLetterFile = await this.deadLetters.commit();
      const s = writer.stats;
      return {
        type: 'elasticsearch',
        target: `${describeNodes(this.options)}/${this.options.index}`,
        records: s.written,
        rejected: s.rejected,
        bytes: s.bytes,
        details: {
          ...(this.options.dataStream ? { appended: s.created, duplicates: s.duplicates } : { created: s.created, updated: s.updated }),
          requests: s.requests,
          // `bytes` counts only what the cluster accepted; what it refused (and was sent again) is shown apart.
          ...(s.bytesNotAccepted > 0 ? { bytesNotAccepted: s.bytesNotAccepted } : {}),
          ...(s.itemRetries + s.requestRetries > 0 ? { retried: `${s.itemRetries} documents, ${s.requestRetries} requests` } : {}),
          ...(deadLetterFile ? { deadLetters: deadLetterFile } : {}),
        },
      };
    } catch (error) {
      // Documents the cluster refused before the failure are still worth keeping, to replay them.
      await this.deadLetters.commit().catch(() => undefined);
      throw error;
    } finally {
      await client.close();
    }
  }

  /** Stops sending at once. Documents already indexed stay: with _id = sha a re-run overwrites them, which is the point. */
  async abort(reason: unknown): Promise<void> {
    const wasOpen = this.state === 'open' || this.state === 'prepared';
    this.state = 'aborted';
    this.controller.abort(reason);
    if (!wasOpen) return;
    await this.writer?.drain().catch(() => undefined);
    await this.deadLetters.commit().catch(() => undefined);
    await this.client?.close();
  }

  private entry(record: ImageRecord): BulkEntry {
    const document = JSON.stringify({ '@timestamp': this.timestamp, ...record });
    // A data stream takes create only, and its _id is sha + export time, so a retried create cannot append twice.
    const id = this.options.dataStream ? `${record.sha}-${this.ctx.startedAt.getTime()}` : record.sha;
    const lines = `{"${this.options.dataStream ? 'create' : 'index'}":{"_id":${JSON.stringify(id)}}}\n${document}\n`;
    return { id, lines, bytes: Buffer.byteLength(lines) };
  }
}

/** Where rejected documents go, if any are: the one file this sink writes. */
function deadLetterPathOf(options: ElasticsearchSinkOptions, ctx: RunContext): string {
  return resolveOutputPath(options.deadLetterPath.replaceAll('{index}', options.index), { now: ctx.startedAt, baseDir: ctx.baseDir });
}

/** The Elasticsearch sink: idempotent bulk writes keyed by image sha (or a data stream), template-managed mappings, dead letters. */
export const elasticsearchSink = defineSinkPlugin({
  type: 'elasticsearch',
  description: 'Elasticsearch for a SIEM: one document per image (_id = sha) or a data stream, mapped by an index template',
  options: elasticsearchOptions,
  create: (options, ctx) => new ElasticsearchSink(options, ctx),
  secrets: (options) => (options.auth ? Object.entries(options.auth).filter(([k]) => k !== 'username').map(([, v]) => v) : []),
  outputs: (options, ctx) => [deadLetterPathOf(options, ctx)],
  async check(options, ctx) {
    const client = await createClient(options, `qcs-export/${ctx.toolVersion}`);
    try {
      await verifyCluster(client, options);
      await checkTemplatePrecedence(client, options);
    } finally {
      await client.close();
    }
  },
});

/** For tests and the benchmark: a sink with internal knobs. */
export function createElasticsearchSink(options: ElasticsearchSinkOptions, ctx: RunContext, internals: ElasticsearchSinkInternals = {}): Sink {
  return new ElasticsearchSink(options, ctx, internals);
}
