import type { Client } from '@elastic/elasticsearch';
import { LifecycleSink, rowsOf, SinkError, type FindingRecord, type ImageRecord, type RunContext, type Sink, type SinkSummary } from '@qcs-export/core/sink';
import { BulkWriter, type BulkEntry } from './bulk-writer.js';
import { createClient, describeNodes, explain, verifyCluster } from './connection.js';
import { DeadLetterFile, deadLetterPathOf } from './dead-letter.js';
import { ecsFinding } from './ecs-finding.js';
import type { ElasticsearchSinkOptions } from './options.js';
import { prepareTarget } from './template.js';

/** Internal knobs for tests and the benchmark, not part of the config. */
export interface ElasticsearchSinkInternals {
  /** First backoff step in ms. Default: 500. */
  backoffBaseMs?: number;
}

class ElasticsearchSink extends LifecycleSink {
  private client: Client | undefined;
  private writer: BulkWriter | undefined;
  private readonly timestamp: string;
  private readonly deadLetters: DeadLetterFile;
  private readonly controller = new AbortController();

  constructor(
    private readonly options: ElasticsearchSinkOptions,
    private readonly ctx: RunContext,
    private readonly internals: ElasticsearchSinkInternals = {},
  ) {
    super(`the elasticsearch sink for ${options.index}`);
    this.timestamp = ctx.startedAt.toISOString();
    this.deadLetters = new DeadLetterFile(deadLetterPathOf(options, ctx));
    ctx.signal.addEventListener('abort', () => this.controller.abort(ctx.signal.reason), { once: true });
  }

  protected async openTarget(): Promise<void> {
    const client = await createClient(this.options, `qcs-export/${this.ctx.toolVersion}`);
    this.client = client;
    try {
      await verifyCluster(client, this.options);
      await prepareTarget(client, this.options, this.ctx.toolVersion);
    } catch (error) {
      await client.close();
      throw error;
    }
    this.writer = new BulkWriter(client, this.options, this.deadLetters, this.controller.signal, this.ctx.logger, this.internals.backoffBaseMs);
  }

  protected async writeBatch(batch: readonly ImageRecord[]): Promise<void> {
    const { writer } = this.opened();
    if (this.options.records === 'images') for (const record of batch) await writer.add(this.entry(record.sha, { '@timestamp': this.timestamp, ...record }));
    else
      for (const row of rowsOf(batch, this.options.records, this.ctx) as FindingRecord[])
        await writer.add(this.entry(row.findingKey, ecsFinding(row, this.timestamp)));
  }

  /**
   * Sends what is still buffered and refreshes the index: documents become visible as they are sent (this sink
   * publishes as it goes), so this phase is where its end-of-run failures surface, before any file sink of the
   * run replaces its previous output.
   */
  protected async finishTarget(): Promise<void> {
    const { writer, client } = this.opened();
    try {
      await writer.drain();
      if (this.options.refresh)
        await client.indices
          .refresh({ index: this.options.index })
          .catch((error: unknown) => Promise.reject(explain(error, this.options, `refreshing ${this.options.index}`)));
      await this.deadLetters.finish();
    } catch (error) {
      // Documents the cluster refused before the failure are still worth keeping, to replay them.
      await this.deadLetters.commit().catch(() => undefined);
      await client.close();
      throw error;
    }
  }

  protected async publishTarget(): Promise<SinkSummary> {
    const { writer, client } = this.opened();
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

  /**
   * Stops sending at once. This sink commits as it goes: documents already indexed stay, and with _id = sha a
   * re-run overwrites them, which is the point. Refused documents are kept in the dead-letter file.
   */
  override async abort(reason: unknown): Promise<void> {
    this.controller.abort(reason);
    await super.abort(reason);
  }

  protected async abortTarget(): Promise<void> {
    await this.writer?.drain().catch(() => undefined);
    await this.deadLetters.commit().catch(() => undefined);
    await this.client?.close();
  }

  private opened(): { writer: BulkWriter; client: Client } {
    const { writer, client } = this;
    if (!writer || !client) throw new SinkError(`the elasticsearch sink for ${this.options.index} has no open connection`);
    return { writer, client };
  }

  /** One bulk entry; `key` is the image sha or the finding key, so a re-run overwrites instead of adding. */
  private entry(key: string, source: Record<string, unknown>): BulkEntry {
    const document = JSON.stringify(source);
    // A data stream takes create only, and its _id is the key + export time, so a retried create cannot append twice.
    const id = this.options.dataStream ? `${key}-${this.ctx.startedAt.getTime()}` : key;
    const lines = `{"${this.options.dataStream ? 'create' : 'index'}":{"_id":${JSON.stringify(id)}}}\n${document}\n`;
    return { id, lines, bytes: Buffer.byteLength(lines) };
  }
}

/** The Elasticsearch sink's implementation, loaded by the plugin (plugin.ts) when a run opens it; tests and the benchmark pass internal knobs. */
export function createElasticsearchSink(options: ElasticsearchSinkOptions, ctx: RunContext, internals: ElasticsearchSinkInternals = {}): Sink {
  return new ElasticsearchSink(options, ctx, internals);
}
