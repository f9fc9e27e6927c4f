import {
  AtomicFileWriter,
  buildColumns,
  resolveOutputPath,
  SinkError,
  type Column,
  type ImageRecord,
  type RunContext,
  type Sink,
  type SinkState,
  type SinkSummary,
} from '@qcs-export/core';
import { describeWorkbook } from './document-properties.js';
import { ImagesSheets } from './images-sheets.js';
import type { ExcelSinkOptions } from './options.js';
import { dataSheetPrint } from './print-setup.js';
import { excelDefaultColumns } from './reading-order.js';
import { writeSummarySheet } from './summary-sheet.js';
import { SummaryTotals } from './summary-totals.js';
import { createWorkbook, type StreamingWorkbook } from './workbook.js';
import { ZipBackpressure } from './zip-backpressure.js';

/** Rows between two looks at the zip queue; STACK.md §4.1 measured 500 as free of cost. */
const ROWS_PER_QUEUE_CHECK = 500;

/** Internal knobs for tests and the benchmark, not part of the config. */
export interface ExcelSinkInternals {
  /** Zip queue limit in bytes. Default: 8 MB. */
  zipQueueLimit?: number;
}

class ExcelSink implements Sink {
  private file: AtomicFileWriter | undefined;
  private workbook: StreamingWorkbook | undefined;
  private sheets: ImagesSheets | undefined;
  private state: SinkState = 'new';
  private readonly path: string;
  private readonly columns: Column[];
  private readonly totals: SummaryTotals;
  readonly backpressure: ZipBackpressure;

  constructor(
    private readonly options: ExcelSinkOptions,
    private readonly ctx: RunContext,
    internals: ExcelSinkInternals = {},
  ) {
    this.path = resolveOutputPath(options.path, { now: ctx.startedAt, baseDir: ctx.baseDir });
    // Columns the user chose keep their order; the default set is put in reading order for Excel.
    this.columns = buildColumns(options.columns ?? excelDefaultColumns(), { joinWith: options.joinWith });
    this.totals = new SummaryTotals(options.joinWith);
    this.backpressure = new ZipBackpressure(internals.zipQueueLimit);
  }

  async open(): Promise<void> {
    if (this.state !== 'new') throw new SinkError(`the excel sink for ${this.path} was already opened`);
    const file = await AtomicFileWriter.open(this.path, { mode: this.options.fileMode });
    if ((this.state as SinkState) === 'aborted') return void (await file.abort());
    this.file = file;
    this.workbook = createWorkbook(file.stream);
    describeWorkbook(this.workbook, this.ctx);
    this.sheets = new ImagesSheets(this.workbook, this.columns, this.options.sheetName, this.options.rowsPerSheet, dataSheetPrint(this.ctx.startedAt));
    this.state = 'open';
  }

  async write(batch: readonly ImageRecord[]): Promise<void> {
    if (this.state !== 'open' || !this.sheets) throw new SinkError(`the excel sink for ${this.path} is ${this.state}, cannot write`);
    const sheets = this.sheets;
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
  async prepare(): Promise<void> {
    if (this.state !== 'open' || !this.file || !this.workbook || !this.sheets) throw new SinkError(`the excel sink for ${this.path} is ${this.state}, cannot prepare`);
    this.state = 'prepared';
    const { file, workbook, sheets } = this;
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

  async close(): Promise<SinkSummary> {
    if (this.state === 'open') await this.prepare();
    if (this.state !== 'prepared' || !this.file || !this.sheets) throw new SinkError(`the excel sink for ${this.path} is ${this.state}, cannot close`);
    this.state = 'closed';
    const sheets = this.sheets;
    const { path, bytes } = await this.file.commit();
    return {
      type: 'excel',
      target: path,
      records: sheets.rows,
      rejected: 0,
      bytes,
      details: { sheets: sheets.names.join(', '), columns: this.columns.length, ...(sheets.cellsCut > 0 ? { cellsCut: sheets.cellsCut } : {}) },
    };
  }

  async abort(_reason: unknown): Promise<void> {
    const wasOpen = this.state === 'open' || this.state === 'prepared';
    this.state = 'aborted';
    if (!wasOpen) return;
    this.workbook?.zip?.abort?.();
    await this.file?.abort();
  }

  /** Waits for the compressor when the queue is long; stops at once when the file failed or the sink was aborted. */
  private settle(): Promise<void> {
    return this.backpressure.settle(this.sheets?.stream, () => {
      if (this.state === 'aborted') throw new SinkError(`the excel sink for ${this.path} was aborted`);
      this.file?.throwIfFailed();
    });
  }
}

/** The Excel sink's implementation, loaded by the plugin (plugin.ts) when a run opens it; tests and the benchmark pass internal knobs and read its backpressure probe. */
export function createExcelSink(options: ExcelSinkOptions, ctx: RunContext, internals: ExcelSinkInternals = {}): Sink & { backpressure: ZipBackpressure } {
  return new ExcelSink(options, ctx, internals);
}
