import {
  runStamp,
  AtomicFileWriter,
  outputPathFor,
  type FilePublished,
  LifecycleSink,
  containerRowsOf,
  rowsOf,
  type FindingRecord,
  type GrainRow,
  type ImageRecord,
  type RunContainer,
  type RunContext,
  type SinkSummary,
} from '@qcs-export/core/sink';
import type { JsonlSinkOptions } from './options.js';
import { StreamWriter } from './stdout-writer.js';

export interface JsonlSinkDeps {
  /** Where "-" writes. Default: process.stdout. */
  stdout?: NodeJS.WritableStream;
}

export class JsonlSink extends LifecycleSink {
  private file: AtomicFileWriter | undefined;
  private stream: StreamWriter | undefined;
  private records = 0;
  private readonly path: string;

  constructor(
    private readonly options: JsonlSinkOptions,
    private readonly ctx: RunContext,
    private readonly deps: JsonlSinkDeps,
  ) {
    const path = options.path === '-' ? '-' : outputPathFor(options.path, ctx);
    super(`the jsonl sink for ${path}`);
    this.path = path;
  }

  protected async openTarget(): Promise<void> {
    if (this.path === '-') this.stream = new StreamWriter(this.deps.stdout ?? process.stdout);
    else {
      this.file = await AtomicFileWriter.open(this.path, {
        gzip: this.path.endsWith('.gz') ? { level: this.options.gzipLevel } : false,
        mode: this.options.fileMode,
      });
    }
  }

  protected async writeBatch(batch: readonly ImageRecord[]): Promise<void> {
    // One string per batch: far fewer stream writes than one per record, and never more than one batch held.
    await this.writeRows(rowsOf(batch, this.options.records, this.ctx));
  }

  /** A compared run's fixed findings: lines like the others, at the findings or packages grain. */
  /** Containers, for a container grain: one line per container or container finding (none for an image grain). */
  protected override async writeContainerBatch(batch: readonly RunContainer[]): Promise<void> {
    await this.writeRows(containerRowsOf(batch, this.options.records, this.ctx));
  }

  protected override async writeFindingRows(rows: readonly FindingRecord[]): Promise<void> {
    await this.writeRows(rows);
  }

  private async writeRows(records: ReadonlyArray<GrainRow>): Promise<void> {
    this.countDelivered(records.length);
    if (records.length === 0) return;
    const stamp = runStamp(this.ctx, this.options.stampRun);
    let text = '';
    for (const record of records) text += `${JSON.stringify(stamp ? { ...record, ...stamp } : record)}\n`;
    await (this.file ?? (this.stream as StreamWriter)).write(text);
    // What reached the file, not what was meant to: the newline-terminated lines handed to it.
    this.records += linesIn(text);
  }

  protected async finishTarget(): Promise<void> {
    await this.file?.finish();
  }

  protected async publishTarget(): Promise<SinkSummary> {
    if (this.file) {
      const { path, bytes, published } = await this.file.commit();
      return { type: 'jsonl', target: path, records: this.records, rejected: 0, bytes, published };
    }
    this.stream?.release();
    return { type: 'jsonl', target: 'stdout', records: this.records, rejected: 0, published: 'incremental' };
  }

  protected override async rollbackTarget(): Promise<void> {
    await this.file?.rollback();
  }

  protected override async settleTarget(): Promise<void> {
    await this.file?.settle();
  }

  /** What publishing did to the file: 'replaced' or 'created' after close(), 'restored' after rollback(); stdout: 'incremental'. */
  get published(): FilePublished | 'incremental' | undefined {
    return this.file ? this.file.published : this.stream && 'incremental';
  }

  protected async abortTarget(): Promise<void> {
    await this.file?.abort();
    this.stream?.release();
  }
}

function linesIn(text: string): number {
  let lines = 0;
  for (let at = text.indexOf('\n'); at !== -1; at = text.indexOf('\n', at + 1)) lines++;
  return lines;
}

/** A JSON Lines sink for one run; the plugin (plugin.ts) loads this module when the run opens it. */
export function createJsonlSink(options: JsonlSinkOptions, ctx: RunContext, deps: JsonlSinkDeps = {}): JsonlSink {
  return new JsonlSink(options, ctx, deps);
}
