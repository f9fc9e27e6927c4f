import type { Client } from '@elastic/elasticsearch';
import {
  containerRowsOf,
  grainReads,
  LifecycleSink,
  rowsOf,
  SinkError,
  type ContainerFindingRecord,
  type ContainerRecord,
  type FindingRecord,
  type ImageRecord,
  type RecordGrain,
  type RunContainer,
  type RunContext,
  type Sink,
  type SinkSummary,
  type SoftwareRecord,
} from '@qcs-export/core/sink';
import type { BulkEntry } from './bulk-entry.js';
import { BulkWriter } from './bulk-writer.js';
import { createClient, describeNodes, explain, verifyCluster } from './connection.js';
import { DeadLetterFile, deadLetterPathOf, deadLetterRedactor } from './dead-letter.js';
import { ecsContainer, ecsContainerFinding } from './ecs-container.js';
import { type DataStreamName, dataStreamNameOf, ecsFinding } from './ecs-finding.js';
import { ecsSoftware } from './ecs-software.js';
import { unknownGrain } from './mapping.js';
import type { ElasticsearchSinkOptions } from './options.js';
import { verifyRunCount } from './run-count.js';
import { fieldTypeInForce, prepareTarget } from './template.js';

/** Images (or containers) whose fixed findings are removed together, in one delete-by-query. */
const STALE_CHECK_IMAGES = 500;

/**
 * What a grain's documents leave behind when their image (or container) is read again: the documents of it that this
 * run did not write, found by `resource.id` (the image sha, or the container's), and how the summary and messages name
 * them; undefined for a grain of one document per image or container, which a re-run overwrites.
 */
interface StaleRule {
  /** e.g. "fixed findings": what the removed documents are. */
  what: string;
  /** e.g. "images": what `resource.id` names. */
  of: string;
  /** The summary's key for how many went. */
  detail: string;
}

function staleRuleOf(records: RecordGrain): StaleRule | undefined {
  switch (records) {
    case 'images':
    case 'containers':
      return undefined;
    case 'findings':
    case 'packages':
      return { what: 'fixed findings', of: 'images', detail: 'fixedFindingsRemoved' };
    case 'container-findings':
      return { what: 'fixed findings', of: 'containers', detail: 'fixedFindingsRemoved' };
    case 'software':
      return { what: 'packages no longer installed', of: 'images', detail: 'packagesRemoved' };
    default:
      return unknownGrain(records);
  }
}

/** The field that carries the run id: the image record's own `runId`, or `qualys_cs.run_id` of every ECS document. */
function runIdFieldOf(records: RecordGrain): string {
  return records === 'images' ? 'runId' : 'qualys_cs.run_id';
}

/** What removeUnseen removes, for messages: the grain's unit. */
function unseenOf(records: RecordGrain): string {
  return grainReads(records) === 'containers' ? 'containers' : 'images';
}

/** Internal knobs for tests and the benchmark, not part of the config. */
export interface ElasticsearchSinkInternals {
  /** First backoff step in ms. Default: 500. */
  backoffBaseMs?: number;
  /** Where HTTPS_PROXY/HTTP_PROXY/NO_PROXY are read from. Default: process.env. */
  env?: NodeJS.ProcessEnv;
}

class ElasticsearchSink extends LifecycleSink {
  private client: Client | undefined;
  private writer: BulkWriter | undefined;
  private readonly timestamp: string;
  /** The data stream's name parts, written into each finding document, when the index follows Elastic's naming. */
  private readonly dataStream: DataStreamName | undefined;
  private readonly deadLetters: DeadLetterFile;
  private readonly controller = new AbortController();
  /** The field that carries the run id, when the index in force maps it as a keyword (an index made by an older version may not). */
  private runIdField: string | undefined;
  /** The same field, for counting this run's documents at the end; in a data stream too, where nothing is deleted by it. */
  private countField: string | undefined;
  /**
   * Images (containers, for container findings) of this run whose findings (or packages) were fetched, not yet checked
   * for documents this run did not write (fixed findings, packages gone).
   */
  private staleCheck: string[] = [];
  private readonly stale: StaleRule | undefined;
  private staleRemoved = 0;
  /** A compared run's fixed findings that the Kibana latest index does not keep (see writeFindingRows). */
  private fixedNotKept = 0;
  private unseenRemoved = 0;

  constructor(
    private readonly options: ElasticsearchSinkOptions,
    private readonly ctx: RunContext,
    private readonly internals: ElasticsearchSinkInternals = {},
  ) {
    super(`the elasticsearch sink for ${options.index}`);
    this.timestamp = ctx.startedAt.toISOString();
    this.dataStream = options.dataStream ? dataStreamNameOf(options.index) : undefined;
    this.stale = staleRuleOf(options.records);
    this.deadLetters = new DeadLetterFile(deadLetterPathOf(options, ctx), deadLetterRedactor(options, ctx));
    ctx.signal.addEventListener('abort', () => this.controller.abort(ctx.signal.reason), { once: true });
  }

  protected async openTarget(): Promise<void> {
    const client = await createClient(this.options, `qcs-export/${this.ctx.toolVersion}`, this.internals.env);
    this.client = client;
    try {
      await verifyCluster(client, this.options);
      await prepareTarget(client, this.options, this.ctx.toolVersion);
      if (this.ctx.runId !== undefined) {
        const field = runIdFieldOf(this.options.records);
        const type = await fieldTypeInForce(client, this.options, field);
        if (type === 'keyword') {
          this.countField = field;
          // A data stream keeps history: nothing in it is deleted by run id.
          if (!this.options.dataStream) this.runIdField = field;
        } else if (!this.options.dataStream && (this.stale || this.removesUnseen)) {
          // Deleting by a field the index does not map would match every document: do nothing rather than that.
          const kept = [...(this.stale ? [this.stale.what] : []), ...(this.removesUnseen ? [`unseen ${unseenOf(this.options.records)}`] : [])];
          this.ctx.logger.warn(
            `${this.options.index} was created by an older qcs-export and does not map ${field}: documents this run did not write ` +
              `(${kept.join(', ')}) are not removed; reindex or recreate it to have them removed`,
          );
        }
      }
    } catch (error) {
      await client.close();
      throw error;
    }
    this.writer = new BulkWriter(client, this.options, this.deadLetters, this.controller.signal, this.ctx.logger, this.internals.backoffBaseMs);
  }

  protected async writeBatch(batch: readonly ImageRecord[]): Promise<void> {
    const { writer } = this.opened();
    const records = this.options.records;
    switch (records) {
      case 'images': {
        const runId = this.ctx.runId === undefined ? {} : { runId: this.ctx.runId };
        this.countDelivered(batch.length);
        for (const record of batch) await writer.add(this.entry(record.sha, { '@timestamp': this.timestamp, ...record, ...runId }));
        return;
      }
      case 'findings':
      case 'packages': {
        // Kibana's findings page lists one package per row, so its index holds one document per image × QID × package.
        const rows = rowsOf(batch, this.options.kibana ? 'packages' : records, this.ctx) as FindingRecord[];
        this.countDelivered(rows.length);
        for (const row of rows) await writer.add(this.entry(row.findingKey, ecsFinding(row, this.timestamp, this.ctx.runId, this.dataStream)));
        // An image whose findings were fetched now has exactly these: its other findings in the index are fixed.
        // (One without a findings answer, null, keeps what it had.)
        await this.checkStale(batch.filter((image) => Array.isArray(image.vulnerabilities)).map((image) => image.sha));
        return;
      }
      case 'software': {
        const rows = rowsOf(batch, records, this.ctx) as SoftwareRecord[];
        this.countDelivered(rows.length);
        for (const row of rows) await writer.add(this.entry(row.softwareKey, ecsSoftware(row, this.timestamp, this.ctx.runId, this.dataStream)));
        // An image whose packages were listed now has exactly these; one without a list (null) keeps what it had.
        await this.checkStale(batch.filter((image) => Array.isArray(image.software)).map((image) => image.sha));
        return;
      }
      case 'containers':
      case 'container-findings':
        // Made from the containers the run reads (writeContainerBatch): images give them nothing.
        return;
      default:
        return unknownGrain(records);
    }
  }

  /**
   * A batch of the containers the run reads, after its images: one document per container, or per container × finding
   * of the image it runs. A sink of an image grain takes nothing from them.
   */
  protected override async writeContainerBatch(batch: readonly RunContainer[]): Promise<void> {
    const { writer } = this.opened();
    const records = this.options.records;
    switch (records) {
      case 'containers': {
        const rows = containerRowsOf(batch, records, this.ctx) as ContainerRecord[];
        this.countDelivered(rows.length);
        for (const row of rows) await writer.add(this.entry(row.sha, ecsContainer(row, this.timestamp, this.ctx.runId, this.dataStream)));
        return;
      }
      case 'container-findings': {
        // Kibana's index too holds one document per container × finding: core makes container findings at that grain only.
        const rows = containerRowsOf(batch, records, this.ctx) as ContainerFindingRecord[];
        this.countDelivered(rows.length);
        for (const row of rows) await writer.add(this.entry(row.findingKey, ecsContainerFinding(row, this.timestamp, this.ctx.runId, this.dataStream)));
        // A container whose image's findings were fetched now has exactly these: its other findings in the index are fixed.
        await this.checkStale(batch.filter(({ image }) => Array.isArray(image?.vulnerabilities)).map(({ container }) => container.sha));
        return;
      }
      case 'images':
      case 'findings':
      case 'packages':
      case 'software':
        return;
      default:
        return unknownGrain(records);
    }
  }

  /** Adds images (or containers) to those whose documents this run did not write are removed, and removes them in batches. */
  private async checkStale(keys: readonly string[]): Promise<void> {
    if (!this.runIdField || !this.stale) return;
    for (const key of keys) this.staleCheck.push(key);
    if (this.staleCheck.length >= STALE_CHECK_IMAGES) await this.removeStaleFindings();
  }

  /**
   * A compared run's fixed findings (`run --compare-to`). An index or a data stream gets each as a document like the
   * others, with `qualys_cs.change: fixed` and this run's time and id: in an index it takes the place of the finding's
   * open document (the same `_id` at the findings grain), in a data stream it is one more event. The Kibana latest
   * index holds current findings only, and a fixed finding is its document's removal, which the run makes anyway:
   * there they are neither sent nor counted as delivered, and the summary says how many.
   */
  protected override async writeFindingRows(rows: readonly FindingRecord[]): Promise<void> {
    if (this.options.kibana) {
      this.fixedNotKept += rows.length;
      return;
    }
    const { writer } = this.opened();
    this.countDelivered(rows.length);
    for (const row of rows) await writer.add(this.entry(row.findingKey, ecsFinding(row, this.timestamp, this.ctx.runId, this.dataStream)));
  }

  /**
   * Deletes the findings (or packages) of this run's images or containers that this run did not write. The delete waits until their documents are
   * acknowledged, so a search never misses a finding that is still open (one still being indexed when the delete's
   * snapshot is taken conflicts, its version moved, and conflicts are skipped, so it stays); later images go on being
   * sent meanwhile: they are not in the delete's terms.
   */
  private async removeStaleFindings(): Promise<void> {
    const shas = this.staleCheck;
    this.staleCheck = [];
    const rule = this.stale;
    if (shas.length === 0 || !this.runIdField || !rule) return;
    await this.opened().writer.afterSent(async () => {
      this.staleRemoved += await this.deleteWhere({ terms: { 'resource.id': shas } }, `removing ${rule.what} of ${shas.length} ${rule.of}`);
    });
  }

  /** Deletes the documents matching `filter` that this run did not write; returns how many went. */
  private async deleteWhere(filter: Record<string, unknown> | undefined, doing: string): Promise<number> {
    const { client } = this.opened();
    const field = this.runIdField as string;
    const query = { bool: { ...(filter ? { filter: [filter] } : {}), must_not: [{ term: { [field]: this.ctx.runId } }] } };
    const answer = await client
      .deleteByQuery({ index: this.options.index, conflicts: 'proceed', refresh: false, query } as never)
      .catch((error: unknown) => Promise.reject(explain(error, this.options, doing)));
    const failures = (answer as { failures?: unknown[] }).failures ?? [];
    if (failures.length > 0)
      throw new SinkError(`${doing} in ${this.options.index} failed for ${failures.length} documents: ${JSON.stringify(failures[0]).slice(0, 300)}`);
    return (answer as { deleted?: number }).deleted ?? 0;
  }

  /**
   * Sends what is still buffered and refreshes the index: documents become visible as they are sent (this sink
   * publishes as it goes), so this phase is where its end-of-run failures surface, before any file sink of the
   * run replaces its previous output.
   */
  protected async finishTarget(): Promise<void> {
    const { writer, client } = this.opened();
    try {
      await this.removeStaleFindings();
      await writer.drain();
      if (this.options.refresh)
        await client.indices
          .refresh({ index: this.options.index })
          .catch((error: unknown) => Promise.reject(explain(error, this.options, `refreshing ${this.options.index}`)));
      await verifyRunCount(client, this.options, this.ctx.logger, {
        runId: this.ctx.runId,
        field: this.countField,
        acknowledged: writer.stats.written - writer.stats.dropped,
      });
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
      // Only now, when every sink of a complete full run has finished: a failed or partial run must not take an image it
      // did not reach for one that is gone.
      if (this.removesUnseen && this.runIdField && this.ctx.coverage !== 'changes') {
        this.unseenRemoved = await this.deleteWhere(undefined, `removing documents of ${unseenOf(this.options.records)} this full run did not see`);
        if (this.options.refresh) await client.indices.refresh({ index: this.options.index }).catch(() => undefined);
      }
      const deadLetterFile = await this.deadLetters.commit();
      const s = writer.stats;
      return {
        type: 'elasticsearch',
        target: `${describeNodes(this.options)}/${this.options.index}`,
        records: s.written,
        rejected: s.rejected,
        bytes: s.bytes,
        published: 'incremental',
        details: {
          ...(this.options.dataStream ? { appended: s.created, duplicates: s.duplicates } : { created: s.created, updated: s.updated }),
          ...(s.dropped > 0 ? { droppedByPipeline: s.dropped } : {}),
          requests: s.requests,
          ...(this.staleRemoved > 0 && this.stale ? { [this.stale.detail]: this.staleRemoved } : {}),
          ...(this.removesUnseen ? { unseenRemoved: this.unseenRemoved } : {}),
          ...(this.fixedNotKept > 0 ? { fixedFindingsNotKept: this.fixedNotKept } : {}),
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

  /**
   * Whether a complete full run deletes the documents it did not write. Kibana's latest-findings index must hold only
   * current findings, so with kibana: true it always does, as removeUnseen asks for any other index.
   */
  private get removesUnseen(): boolean {
    return this.options.removeUnseen || this.options.kibana;
  }

  private opened(): { writer: BulkWriter; client: Client } {
    const { writer, client } = this;
    if (!writer || !client) throw new SinkError(`the elasticsearch sink for ${this.options.index} has no open connection`);
    return { writer, client };
  }

  /** One bulk entry; `key` is the image or container sha, or the finding or software key, so a re-run overwrites instead of adding. */
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
