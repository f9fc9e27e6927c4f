import { stringify, type Options as StringifyOptions } from 'csv-stringify/sync';
import {
  runStampColumns,
  AtomicFileWriter,
  containerRowsOf,
  rowsOf,
  tabularColumns,
  LifecycleSink,
  outputPathFor,
  SinkError,
  type AnyColumn,
  type FindingRecord,
  type FilePublished,
  type GrainRow,
  type ImageRecord,
  type RunContainer,
  type RunContext,
  type Sink,
  type SinkSummary,
} from '@qcs-export/core/sink';
import type { CsvSinkOptions } from './options.js';

// NUL is stripped: spreadsheet and database importers truncate or reject cells at it.
const stripNul = (s: string) => (s.includes('\u0000') ? s.replace(/\u0000/g, '') : s);

class CsvSink extends LifecycleSink {
  private file: AtomicFileWriter | undefined;
  private records = 0;
  private readonly path: string;
  private readonly columns: AnyColumn[];
  private readonly format: StringifyOptions;

  constructor(
    private readonly options: CsvSinkOptions,
    private readonly ctx: RunContext,
  ) {
    const path = outputPathFor(options.path, ctx);
    super(`the csv sink for ${path}`);
    this.path = path;
    this.columns = [...tabularColumns(options, ctx), ...runStampColumns(ctx, options.stampRun)];
    this.format = {
      delimiter: options.delimiter,
      record_delimiter: options.lineEnding === 'crlf' ? 'windows' : 'unix',
      // With record_delimiter set, csv-stringify quotes only that exact sequence, so a bare LF under CRLF (or a bare
      // CR under LF) would be written unquoted and Python's csv, LibreOffice and Excel would split the image over two
      // rows. Any CR or LF is quoted, whatever lineEnding is; csv-stringify already quotes the delimiter and quotes.
      quoted_match: /[\r\n]/,
      escape_formulas: options.escapeFormulas,
      cast: {
        string: stripNul,
        boolean: (v) => (v ? 'true' : 'false'),
        number: (v) => String(v),
      },
    };
  }

  protected async openTarget(): Promise<void> {
    const file = await AtomicFileWriter.open(this.path, { mode: this.options.fileMode });
    this.file = file;
    let head = this.options.bom ? '\ufeff' : '';
    if (this.options.header) head += stringify([this.columns.map((c) => c.header)], this.format);
    if (head) await file.write(head);
  }

  /**
   * One batch is formatted at a time (csv-stringify's sync API on at most one page of rows) and handed to the
   * file with backpressure, so memory is bounded by the batch whatever the export size.
   */
  protected async writeBatch(batch: readonly ImageRecord[]): Promise<void> {
    await this.writeRows(rowsOf(batch, this.options.records, this.ctx));
  }

  /** Containers, for a container grain: rows like the images', at the sink's grain (none for an image grain). */
  protected override async writeContainerBatch(batch: readonly RunContainer[]): Promise<void> {
    await this.writeRows(containerRowsOf(batch, this.options.records, this.ctx));
  }

  /** A compared run's fixed findings: rows like the others, after them. */
  protected override async writeFindingRows(rows: readonly FindingRecord[]): Promise<void> {
    await this.writeRows(rows);
  }

  private async writeRows(records: ReadonlyArray<GrainRow>): Promise<void> {
    this.countDelivered(records.length);
    if (records.length === 0) return;
    const rows = records.map((record) => this.columns.map((c) => c.value(record)));
    await this.opened().write(stringify(rows, this.format));
    this.records += records.length;
  }

  protected async finishTarget(): Promise<void> {
    await this.opened().finish();
  }

  protected async publishTarget(): Promise<SinkSummary> {
    const { path, bytes, published } = await this.opened().commit();
    return { type: 'csv', target: path, records: this.records, rejected: 0, bytes, published, details: { columns: this.columns.length } };
  }

  protected override async rollbackTarget(): Promise<void> {
    await this.opened().rollback();
  }

  protected override async settleTarget(): Promise<void> {
    await this.opened().settle();
  }

  /** What publishing did to the file: 'replaced' or 'created' after close(), 'restored' after rollback(). */
  get published(): FilePublished | undefined {
    return this.file?.published;
  }

  protected async abortTarget(): Promise<void> {
    await this.file?.abort();
  }

  private opened(): AtomicFileWriter {
    if (!this.file) throw new SinkError(`the csv sink for ${this.path} has no open file`);
    return this.file;
  }
}

/** The CSV sink's implementation, loaded by the plugin (plugin.ts) when a run opens it. */
export function createCsvSink(options: CsvSinkOptions, ctx: RunContext): Sink & { readonly published: FilePublished | undefined } {
  return new CsvSink(options, ctx);
}
