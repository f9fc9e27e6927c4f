import {
  AtomicFileWriter,
  buildColumns,
  LifecycleSink,
  resolveOutputPath,
  SinkError,
  type Column,
  type ImageRecord,
  type RunContext,
  type Sink,
  type SinkSummary,
} from '@qcs-export/core/sink';
import { describeWorkbook } from './document-properties.js';
import { ImagesSheets } from './images-sheets.js';
import type { ExcelSinkOptions } from './options.js';
import { dataSheetPrint } from './print-setup.js';
import { excelDefaultColumns } from './reading-order.js';
import { writeSummarySheet } from './summary-sheet.js';
import { SummaryTotals } from './summary-totals.js';
import { createWorkbook, type StreamingWorkbook } from './workbook.js';
import { ZipBackpressure } from './zip-backpressure.js';

/** Rows between two looks at the zip queue; docs/library-notes.md §1 measured 500 as free of cost. */
const ROWS_PER_QUEUE_CHECK = 500;

/** Internal knobs for tests and the benchmark, not part of the config. */
export interface ExcelSinkInternals {
  /** Zip queue limit in bytes. Default: 8 MB. */
  zipQueueLimit?: number;
}

class ExcelSink extends LifecycleSink {
  private file: AtomicFileWriter | undefined;
  private workbook: StreamingWorkbook | undefined;
  private sheets: ImagesSheets | undefined;
  private readonly path: string;
  private readonly columns: Column[];
  private readonly totals: SummaryTotals;
  readonly backpressure: ZipBackpressure;

  constructor(
    private readonly options: ExcelSinkOptions,
    private readonly ctx: RunContext,
    internals: ExcelSinkInternals = {},
  ) {
    const path = resolveOutputPath(options.path, { now: ctx.startedAt, baseDir: ctx.baseDir });
    super(`the excel sink for ${path}`);
    this.path = path;
    // Columns the user chose keep their order; the default set is put in reading order for Excel.
    this.columns = buildColumns(options.columns ?? excelDefaultColumns(), { joinWith: options.joinWith });
    this.totals = new SummaryTotals(options.joinWith);
    this.backpressure = new ZipBackpressure(internals.zipQueueLimit);
  }

  protected async openTarget(): Promise<void> {
    const file = await AtomicFileWriter.open(this.path, { mode: this.options.fileMode });
    this.file = file;
    this.workbook = createWorkbook(file.stream);
    describeWorkbook(this.workbook, this.ctx);
    this.sheets = new ImagesSheets(this.workbook, this.columns, this.options.sheetName, this.options.rowsPerSheet, dataSheetPrint(this.ctx.startedAt));
  }

  protected async writeBatch(batch: readonly ImageRecord[]): Promise<void> {
    const { sheets } = this.opened();
    sheets.measure(batch);
    for (let i = 0; i < batch.length; i++) {
      const record = batch[i] as ImageRecord;
      sheets.add(record);
      if (this.options.summary) this.totals.add(record);
      if ((i + 1) % ROWS_PER_QUEUE_CHECK === 0) await this.settle();
    }
    await this.settle();
  }

  /** Writes the Summary sheet and the zip's end, and syncs the file, without renaming it into place. */
  protected async finishTarget(): Promise<void> {
    const { file, workbook, sheets } = this.opened();
    try {
      sheets.finish();
      if (this.options.summary) {
        this.totals.cellsCut = sheets.cellsCut;
        writeSummarySheet(workbook, this.ctx, this.totals, sheets.names);
      }
      await Promise.race([workbook.commit(), file.whenFailed()]);
    } catch (error) {
      await file.abort();
      throw error instanceof SinkError ? error : new SinkError(`writing ${this.path} failed: ${(error as Error).message}`, { cause: error });
    }
    await file.finish();
  }

  protected async publishTarget(): Promise<SinkSummary> {
    const { file, sheets } = this.opened();
    const { path, bytes } = await file.commit();
    return {
      type: 'excel',
      target: path,
      records: sheets.rows,
      rejected: 0,
      bytes,
      details: { sheets: sheets.names.join(', '), columns: this.columns.length, ...(sheets.cellsCut > 0 ? { cellsCut: sheets.cellsCut } : {}) },
    };
  }

  protected async abortTarget(): Promise<void> {
    this.workbook?.zip?.abort?.();
    await this.file?.abort();
  }

  /** Waits for the compressor when the queue is long; stops at once when the file failed or the sink was aborted. */
  private settle(): Promise<void> {
    return this.backpressure.settle(this.sheets?.stream, () => {
      this.throwIfAborted();
      this.file?.throwIfFailed();
    });
  }

  private opened(): { file: AtomicFileWriter; workbook: StreamingWorkbook; sheets: ImagesSheets } {
    const { file, workbook, sheets } = this;
    if (!file || !workbook || !sheets) throw new SinkError(`the excel sink for ${this.path} has no open workbook`);
    return { file, workbook, sheets };
  }
}

/**
 * The Excel sink's implementation, loaded by the plugin (plugin.ts) when a run opens it; tests and the benchmark pass internal knobs and read its
 * backpressure probe.
 */
export function createExcelSink(options: ExcelSinkOptions, ctx: RunContext, internals: ExcelSinkInternals = {}): Sink & { backpressure: ZipBackpressure } {
  return new ExcelSink(options, ctx, internals);
}
