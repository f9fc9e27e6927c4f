import {
  AtomicFileWriter,
  buildColumns,
  runStampColumns,
  findingRowOptions,
  findingRows,
  LifecycleSink,
  outputPathFor,
  tabularColumns,
  SinkError,
  type Column,
  type FilePublished,
  type FindingRecord,
  type ImageRecord,
  type RunContext,
  type Sink,
  type SinkSummary,
} from '@qcs-export/core/sink';
import { type ChangeRow, changeRowOf, writeChangesSheet } from './changes-sheet.js';
import { describeWorkbook } from './document-properties.js';
import { FindingsSpool } from './findings-spool.js';
import { FindingsTotals } from './findings-totals.js';
import { ImagesSheets } from './images-sheets.js';
import { type ExcelSinkOptions, type WorkbookGrains, workbookGrains } from './options.js';
import { FINDING_PRINT_KEYS, IMAGE_PRINT_KEYS } from './print-layout.js';
import { writeSlaSheet } from './sla-sheet.js';
import { type ChangeCounts, writeSummarySheet } from './summary-sheet.js';
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
  private spool: FindingsSpool | undefined;
  private findingSheets: ImagesSheets<FindingRecord> | undefined;
  private readonly findings: FindingsTotals | undefined;
  private readonly grains: WorkbookGrains;
  /** In a compared run: the new and fixed findings for the Changes sheet, and the counts for the Summary. */
  private readonly changes: { rows: ChangeRow[]; counts: ChangeCounts } | undefined;
  private readonly path: string;
  private readonly columns: Column[];
  private readonly totals: SummaryTotals;
  readonly backpressure: ZipBackpressure;

  constructor(
    private readonly options: ExcelSinkOptions,
    private readonly ctx: RunContext,
    internals: ExcelSinkInternals = {},
  ) {
    const path = outputPathFor(options.path, ctx);
    super(`the excel sink for ${path}`);
    this.path = path;
    // Columns the user chose keep their order; without any, core's default set, already in reading order.
    this.columns = [...buildColumns(options.columns, { joinWith: options.joinWith }), ...runStampColumns(ctx, options.stampRun)];
    this.totals = new SummaryTotals(options.joinWith);
    this.grains = workbookGrains(options);
    this.findings = this.grains.findings ? new FindingsTotals() : undefined;
    this.changes =
      this.grains.findings && ctx.compare
        ? { rows: [], counts: { new: 0, open: 0, fixed: 0, previousStartedAt: ctx.compare.previousStartedAt, previousRunId: ctx.compare.previousRunId } }
        : undefined;
    this.backpressure = new ZipBackpressure(internals.zipQueueLimit);
  }

  protected async openTarget(): Promise<void> {
    // The spool first: if it cannot be made, no temporary workbook is left behind either.
    if (this.grains.findings) this.spool = await FindingsSpool.open();
    const file = await AtomicFileWriter.open(this.path, { mode: this.options.fileMode }).catch(async (error: unknown) => {
      await this.spool?.remove();
      throw error;
    });
    this.file = file;
    this.workbook = createWorkbook(file.stream);
    describeWorkbook(this.workbook, this.ctx);
    // Core's default columns print their leading key columns; columns the user chose all print.
    const printKeys = this.options.columns ? undefined : IMAGE_PRINT_KEYS;
    if (!this.grains.images) return;
    this.sheets = new ImagesSheets(this.workbook, this.columns, this.options.sheetName, this.options.rowsPerSheet, this.ctx.startedAt, printKeys);
  }

  protected async writeBatch(batch: readonly ImageRecord[]): Promise<void> {
    const { sheets } = this.opened();
    // The run checks what each sink was given at its own grain: images while the workbook has Images sheets, else rows.
    if (sheets) this.countDelivered(batch.length);
    sheets?.measure(batch);
    for (let i = 0; i < batch.length; i++) {
      const record = batch[i] as ImageRecord;
      sheets?.add(record);
      if (this.options.summary) this.totals.add(record);
      if (sheets && (i + 1) % ROWS_PER_QUEUE_CHECK === 0) await this.waitForZip();
    }
    if (sheets) await this.waitForZip();
    const grain = this.grains.findings;
    if (grain && this.spool && this.findings) {
      const options = findingRowOptions(this.ctx);
      for (const image of batch) {
        const rows = findingRows(image, grain, options);
        if (!sheets) this.countDelivered(rows.length);
        this.findings.addImage(rows);
        this.noteChanges(rows);
        await this.spool.write(rows);
      }
    }
  }

  /** A compared run's fixed findings: rows of the Findings sheets and the Changes sheet, outside the SLA figures. */
  protected override async writeFindingRows(rows: readonly FindingRecord[]): Promise<void> {
    if (!this.spool) throw new SinkError(`the excel sink for ${this.path} writes no findings`);
    // Delivered at the workbook's grain, as writeBatch counts: rows only when it has no Images sheets.
    if (!this.sheets) this.countDelivered(rows.length);
    this.noteChanges(rows);
    await this.spool.write(rows);
  }

  /** Counts each finding's change once (a packages grain has a row per package) and keeps the new and fixed ones. */
  private noteChanges(rows: readonly FindingRecord[]): void {
    const changes = this.changes;
    if (!changes) return;
    let last = '';
    for (const row of rows) {
      // Rows of one finding are next to each other: the packages grain's rows of a finding share its sha and QID.
      const key = `${row.sha}\u0000${row.qid}`;
      if (key === last || row.change === null) continue;
      last = key;
      changes.counts[row.change]++;
      const change = changeRowOf(row, this.options.joinWith);
      if (change) changes.rows.push(change);
    }
  }

  /** The Findings sheets, from the spool, once the Images sheets are closed; then the SLA sheet. */
  private async writeFindingSheets(workbook: StreamingWorkbook): Promise<void> {
    const { spool, findings } = this;
    if (!spool || !findings || !this.grains.findings) return;
    const sheets = new ImagesSheets<FindingRecord>(
      workbook,
      // In a compared run the default columns have Change after the severity label (tabularColumns).
      tabularColumns({ records: this.grains.findings, joinWith: this.options.joinWith }, this.ctx) as Column<FindingRecord>[],
      'Findings',
      this.options.rowsPerSheet,
      this.ctx.startedAt,
      FINDING_PRINT_KEYS,
    );
    this.findingSheets = sheets;
    // Widths are measured on the first rows, as for the Images sheets.
    let sample: FindingRecord[] | undefined = [];
    let written = 0;
    const addSample = async (rows: FindingRecord[]) => {
      sheets.measure(rows);
      for (const r of rows) sheets.add(r);
      written += rows.length;
      await this.waitForZip(sheets.stream);
    };
    for await (const row of spool.read()) {
      if (sample) {
        sample.push(row);
        if (sample.length < 200) continue;
        await addSample(sample);
        sample = undefined;
        continue;
      }
      sheets.add(row);
      if (++written % ROWS_PER_QUEUE_CHECK === 0) await this.waitForZip(sheets.stream);
    }
    if (sample) await addSample(sample);
    sheets.finish();
    await spool.remove();
    writeSlaSheet(workbook, this.ctx.startedAt, findings);
    if (this.changes) writeChangesSheet(workbook, this.ctx.startedAt, this.changes.rows);
  }

  /** Writes the Summary sheet and the zip's end, and syncs the file, without renaming it into place. */
  protected async finishTarget(): Promise<void> {
    const { file, workbook, sheets } = this.opened();
    try {
      sheets?.finish();
      await this.writeFindingSheets(workbook);
      if (this.options.summary) {
        this.totals.cellsCut = (sheets?.cellsCut ?? 0) + (this.findingSheets?.cellsCut ?? 0);
        writeSummarySheet(workbook, this.ctx, this.totals, this.sheetNames(), this.findings, this.changes?.counts);
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
    const { path, bytes, published } = await file.commit();
    const cellsCut = (sheets?.cellsCut ?? 0) + (this.findingSheets?.cellsCut ?? 0);
    return {
      type: 'excel',
      target: path,
      // At the workbook's grain, as delivered was counted: images while it has Images sheets, else finding rows.
      records: sheets ? sheets.rows : (this.findingSheets?.rows ?? 0),
      rejected: 0,
      bytes,
      published,
      details: {
        sheets: this.sheetNames().join(', '),
        ...(sheets ? { columns: this.columns.length } : {}),
        ...(this.findingSheets ? { findings: this.findingSheets.rows } : {}),
        ...(cellsCut > 0 ? { cellsCut } : {}),
      },
    };
  }

  protected override async rollbackTarget(): Promise<void> {
    await this.opened().file.rollback();
  }

  protected override async settleTarget(): Promise<void> {
    await this.opened().file.settle();
  }

  /** What publishing did to the workbook: 'replaced' or 'created' after close(), 'restored' after rollback(). */
  get published(): FilePublished | undefined {
    return this.file?.published;
  }

  protected async abortTarget(): Promise<void> {
    await this.spool?.remove();
    this.workbook?.zip?.abort?.();
    await this.file?.abort();
  }

  /** Waits for the compressor when the queue is long; stops at once when the file failed or the sink was aborted. */
  private waitForZip(stream: unknown = this.sheets?.stream): Promise<void> {
    return this.backpressure.settle(stream, () => {
      this.throwIfAborted();
      this.file?.throwIfFailed();
    });
  }

  /** The data sheets, in workbook order. */
  private sheetNames(): string[] {
    return [...(this.sheets?.names ?? []), ...(this.findingSheets?.names ?? [])];
  }

  /** The open workbook; its Images sheets when it has them (`records` without images has none). */
  private opened(): { file: AtomicFileWriter; workbook: StreamingWorkbook; sheets: ImagesSheets | undefined } {
    const { file, workbook, sheets } = this;
    if (!file || !workbook || (this.grains.images && !sheets)) throw new SinkError(`the excel sink for ${this.path} has no open workbook`);
    return { file, workbook, sheets };
  }
}

/**
 * The Excel sink's implementation, loaded by the plugin (plugin.ts) when a run opens it; tests and the benchmark pass internal knobs and read its
 * backpressure probe.
 */
export function createExcelSink(
  options: ExcelSinkOptions,
  ctx: RunContext,
  internals: ExcelSinkInternals = {},
): Sink & { backpressure: ZipBackpressure; readonly published: FilePublished | undefined } {
  return new ExcelSink(options, ctx, internals);
}
