import { AtomicFileWriter, checkWritable, defineSinkPlugin, resolveOutputPath, SinkError, type ImageRecord, type RunContext, type Sink, type SinkState, type SinkSummary } from '@qcs-export/core';
import { jsonlOptions, type JsonlSinkOptions } from './options.js';
import { StreamWriter } from './stdout-writer.js';

export interface JsonlSinkDeps {
  /** Where "-" writes. Default: process.stdout. */
  stdout?: NodeJS.WritableStream;
}

class JsonlSink implements Sink {
  private file: AtomicFileWriter | undefined;
  private stream: StreamWriter | undefined;
  private records = 0;
  private state: SinkState = 'new';
  private readonly path: string;

  constructor(private readonly options: JsonlSinkOptions, private readonly ctx: RunContext, private readonly deps: JsonlSinkDeps) {
    this.path = options.path === '-' ? '-' : resolveOutputPath(options.path, { now: ctx.startedAt, baseDir: ctx.baseDir });
  }

  async open(): Promise<void> {
    if (this.state !== 'new') throw new SinkError(`the jsonl sink for ${this.path} was already opened`);
    if (this.path === '-') this.stream = new StreamWriter(this.deps.stdout ?? process.stdout);
    else {
      const file = await AtomicFileWriter.open(this.path, {
        gzip: this.path.endsWith('.gz') ? { level: this.options.gzipLevel } : false,
        mode: this.options.fileMode,
      });
      // abort() may have run while the file was being opened; do not leave its temporary file behind.
      if ((this.state as SinkState) === 'aborted') return void (await file.abort());
      this.file = file;
    }
    this.state = 'open';
  }

  async write(batch: readonly ImageRecord[]): Promise<void> {
    if (this.state !== 'open') throw new SinkError(`the jsonl sink for ${this.path} is ${this.state}, cannot write`);
    if (batch.length === 0) return;
    // One string per batch: far fewer stream writes than one per record, and never more than one batch held.
    let text = '';
    for (const record of batch) text += JSON.stringify(record) + '\n';
    await (this.file ?? (this.stream as StreamWriter)).write(text);
    this.records += batch.length;
  }

  async prepare(): Promise<void> {
    if (this.state !== 'open') throw new SinkError(`the jsonl sink for ${this.path} is ${this.state}, cannot prepare`);
    this.state = 'prepared';
    await this.file?.finish();
  }

  async close(): Promise<SinkSummary> {
    if (this.state === 'open') await this.prepare();
    if (this.state !== 'prepared') throw new SinkError(`the jsonl sink for ${this.path} is ${this.state}, cannot close`);
    this.state = 'closed';
    if (this.file) {
      const { path, bytes } = await this.file.commit();
      return { type: 'jsonl', target: path, records: this.records, rejected: 0, bytes };
    }
    this.stream?.release();
    return { type: 'jsonl', target: 'stdout', records: this.records, rejected: 0 };
  }

  async abort(_reason: unknown): Promise<void> {
    const wasOpen = this.state === 'open' || this.state === 'prepared';
    this.state = 'aborted';
    if (wasOpen) {
      await this.file?.abort();
      this.stream?.release();
    }
  }
}

/** The JSON Lines sink: a file (.gz compresses) or stdout, committed atomically. */
export function createJsonlPlugin(deps: JsonlSinkDeps = {}) {
  return defineSinkPlugin({
    type: 'jsonl',
    description: 'JSON Lines: one normalized image per line, to a file (.gz compresses) or stdout ("-")',
    options: jsonlOptions,
    create: (options, ctx) => new JsonlSink(options, ctx, deps),
    async check(options, ctx) {
      if (options.path !== '-') await checkWritable(resolveOutputPath(options.path, { now: ctx.startedAt, baseDir: ctx.baseDir }));
    },
    outputs: (options, ctx) => [options.path === '-' ? 'stdout' : resolveOutputPath(options.path, { now: ctx.startedAt, baseDir: ctx.baseDir })],
  });
}

export const jsonlSink = createJsonlPlugin();
