import {
  AtomicFileWriter,
  buildColumns,
  containerRowsOf,
  runStampColumns,
  findingRowOptions,
  findingRows,
  LifecycleSink,
  outputPathFor,
  rowsOf,
  tabularColumns,
  SinkError,
  type AnyColumn,
  type ContainerFindingRecord,
  type FilePublished,
  type FindingRecord,
  type GrainRow,
  type ImageRecord,
  type RecordGrain,
  type RunContainer,
  type RunContext,
  type Sink,
  type SinkSummary,
  type SoftwareRecord,
} from '@qcs-export/core/sink';
import { type ChangeRow, changeRowOf, writeChangesSheet } from './changes-sheet.js';
import { ContainerTotals, SoftwareTotals } from './container-totals.js';
import { describeWorkbook } from './document-properties.js';
import { FindingsTotals } from './findings-totals.js';
import { ImagesSheets } from './images-sheets.js';
import { columnsGrain, type ExcelSinkOptions, SHEET_NAMES, type WorkbookGrains, workbookGrains } from './options.js';
import { CONTAINER_FINDING_PRINT_KEYS, CONTAINER_PRINT_KEYS, FINDING_PRINT_KEYS, IMAGE_PRINT_KEYS, SOFTWARE_PRINT_KEYS } from './print-layout.js';
import { RowSpool } from './row-spool.js';
import { writeSlaSheet } from './sla-sheet.js';
import { type ChangeCounts, writeSummarySheet } from './summary-sheet.js';
import { SummaryTotals } from './summary-totals.js';
import { createWorkbook, type StreamingWorkbook } from './workbook.js';
import { ZipBackpressure } from './zip-backpressure.js';

/** Rows between two looks at the zip queue; docs/library-notes.md §1 measured 500 as free of cost. */
const ROWS_PER_QUEUE_CHECK = 500;
/** Rows a sheet's column widths are measured on (at least: a first batch is measured whole). */
const SAMPLE_ROWS = 200;

/** The print keys of each grain's default columns (print-layout.ts). */
const PRINT_KEYS: Record<RecordGrain, ReadonlySet<string>> = {
  images: IMAGE_PRINT_KEYS,
  findings: FINDING_PRINT_KEYS,
  packages: FINDING_PRINT_KEYS,
  software: SOFTWARE_PRINT_KEYS,
  containers: CONTAINER_PRINT_KEYS,
  'container-findings': CONTAINER_FINDING_PRINT_KEYS,
};

/** Internal knobs for tests and the benchmark, not part of the config. */
export interface ExcelSinkInternals {
  /** Zip queue limit in bytes. Default: 8 MB. */
  zipQueueLimit?: number;
}

/**
 * The sheets of one grain and how rows reach them: the workbook's first data sheet as they arrive, every later one
 * from its spool once the sheets before it are closed (exceljs holds a later sheet's rows in memory while an earlier
 * one is open). Widths are measured on the first rows, at least SAMPLE_ROWS of them.
 */
class DataSheet<R> {
  private sample: R[] | undefined = [];
  private added = 0;

  constructor(
    readonly grain: RecordGrain,
    readonly sheets: ImagesSheets<R>,
    readonly spool: RowSpool<R> | undefined,
    private readonly wait: (stream: unknown) => Promise<void>,
  ) {}

  /** Rows as they arrive: on disk for a later sheet, on the sheet for the first. */
  async take(rows: readonly R[]): Promise<void> {
    if (rows.length === 0) return;
    if (this.spool) await this.spool.write(rows);
    else await this.add(rows);
  }

  /** Writes the spooled rows, if any, and closes the last sheet; the spool is removed. */
  async finish(): Promise<void> {
    if (this.spool) {
      let chunk: R[] = [];
      for await (const row of this.spool.read()) {
        chunk.push(row);
        if (chunk.length < ROWS_PER_QUEUE_CHECK) continue;
        await this.add(chunk);
        chunk = [];
      }
      await this.add(chunk);
      await this.spool.remove();
    }
    if (this.sample) await this.flushSample();
    this.sheets.finish();
  }

  private async add(rows: readonly R[]): Promise<void> {
    const sample = this.sample;
    if (sample) {
      for (const row of rows) sample.push(row);
      if (sample.length >= SAMPLE_ROWS) await this.flushSample();
      return;
    }
    for (const row of rows) {
      this.sheets.add(row);
      if (++this.added % ROWS_PER_QUEUE_CHECK === 0) await this.wait(this.sheets.stream);
    }
    await this.wait(this.sheets.stream);
  }

  private async flushSample(): Promise<void> {
    const sample = this.sample ?? [];
    this.sample = undefined;
    if (sample.length > 0) this.sheets.measure(sample);
    await this.add(sample);
  }
}

class ExcelSink extends LifecycleSink {
  private file: AtomicFileWriter | undefined;
  private workbook: StreamingWorkbook | undefined;
  /** The data sheets by grain, in workbook order. */
  private readonly data = new Map<RecordGrain, DataSheet<GrainRow>>();
  private readonly findings: FindingsTotals | undefined;
  private readonly containerTotals: ContainerTotals | undefined;
  private readonly softwareTotals: SoftwareTotals | undefined;
  private readonly grains: WorkbookGrains;
  /** In a compared run: the new and fixed findings for the Changes sheet, and the counts for the Summary. */
  private readonly changes: { rows: ChangeRow[]; counts: ChangeCounts } | undefined;
  private readonly path: string;
  private readonly columns: Map<RecordGrain, AnyColumn[]>;
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
    this.grains = workbookGrains(options);
    this.columns = new Map(this.grains.listed.map((grain) => [grain, this.columnsOf(grain)]));
    this.totals = new SummaryTotals(options.joinWith);
    this.findings = this.grains.findings ? new FindingsTotals() : undefined;
    this.containerTotals = this.grains.containers || this.grains.containerFindings ? new ContainerTotals() : undefined;
    this.softwareTotals = this.grains.software ? new SoftwareTotals() : undefined;
    this.changes =
      this.grains.findings && ctx.compare
        ? { rows: [], counts: { new: 0, open: 0, fixed: 0, previousStartedAt: ctx.compare.previousStartedAt, previousRunId: ctx.compare.previousRunId } }
        : undefined;
    this.backpressure = new ZipBackpressure(internals.zipQueueLimit);
  }

  /**
   * A grain's columns: those the user chose for the sheet `columns` picks (columnsGrain), else core's default set, already in
   * reading order (in a compared run the findings' has Change after the severity label); the run stamp last, when asked for.
   */
  private columnsOf(grain: RecordGrain): AnyColumn[] {
    const chosen = columnsGrain(this.grains) === grain ? this.options.columns : undefined;
    const columns =
      grain === 'images'
        ? buildColumns(chosen, { joinWith: this.options.joinWith })
        : tabularColumns({ records: grain, columns: chosen, joinWith: this.options.joinWith }, this.ctx);
    return [...columns, ...runStampColumns(this.ctx, this.options.stampRun)];
  }

  protected async openTarget(): Promise<void> {
    // The spools first: if one cannot be made, no temporary workbook is left behind either.
    const spools = new Map<RecordGrain, RowSpool<GrainRow>>();
    const removeSpools = () => Promise.all([...spools.values()].map((s) => s.remove()));
    try {
      for (const grain of this.grains.listed) if (grain !== this.grains.primary) spools.set(grain, await RowSpool.open<GrainRow>(grain));
    } catch (error) {
      await removeSpools();
      throw error;
    }
    const file = await AtomicFileWriter.open(this.path, { mode: this.options.fileMode }).catch(async (error: unknown) => {
      await removeSpools();
      throw error;
    });
    this.file = file;
    const workbook = createWorkbook(file.stream);
    this.workbook = workbook;
    describeWorkbook(workbook, this.ctx);
    for (const grain of this.grains.listed) {
      // Core's default columns print their leading key columns; columns the user chose all print.
      const chosen = this.options.columns !== undefined && columnsGrain(this.grains) === grain;
      const printKeys = chosen ? undefined : PRINT_KEYS[grain];
      const name = grain === 'images' ? this.options.sheetName : SHEET_NAMES[grain];
      const sheets = new ImagesSheets<GrainRow>(workbook, this.columns.get(grain) ?? [], name, this.options.rowsPerSheet, this.ctx.startedAt, printKeys);
      this.data.set(grain, new DataSheet(grain, sheets, spools.get(grain), (stream) => this.waitForZip(stream)));
    }
  }

  /** A batch of images: the rows of every image grain the workbook holds; the Summary's image totals. */
  protected async writeBatch(batch: readonly ImageRecord[]): Promise<void> {
    this.opened();
    const { grains } = this;
    if (grains.listed.every((g) => g === 'containers' || g === 'container-findings')) return;
    if (this.options.summary) for (const record of batch) this.totals.add(record);
    if (grains.images) await this.put('images', batch);
    const grain = grains.findings;
    if (grain && this.findings) {
      const options = findingRowOptions(this.ctx);
      for (const image of batch) {
        const rows = findingRows(image, grain, options);
        this.findings.addImage(rows);
        this.noteChanges(rows);
        await this.put(grain, rows);
      }
    }
    if (grains.software) {
      const rows = rowsOf(batch, 'software', this.ctx) as readonly SoftwareRecord[];
      this.softwareTotals?.add(rows);
      await this.put('software', rows);
    }
  }

  /** A batch of the run's containers (after every image batch): the rows of the container grains; the Summary's container totals. */
  protected override async writeContainerBatch(batch: readonly RunContainer[]): Promise<void> {
    this.opened();
    if (this.options.summary) this.containerTotals?.add(batch);
    if (this.grains.containers) await this.put('containers', containerRowsOf(batch, 'containers', this.ctx));
    if (this.grains.containerFindings) {
      const rows = containerRowsOf(batch, 'container-findings', this.ctx) as readonly ContainerFindingRecord[];
      if (this.options.summary) this.containerTotals?.addFindings(rows);
      await this.put('container-findings', rows);
    }
  }

  /** A compared run's fixed findings: rows of the Findings sheets and the Changes sheet, outside the SLA figures. */
  protected override async writeFindingRows(rows: readonly FindingRecord[]): Promise<void> {
    const grain = this.grains.findings;
    if (!grain) throw new SinkError(`the excel sink for ${this.path} writes no findings`);
    this.noteChanges(rows);
    await this.put(grain, rows);
  }

  /**
   * Rows of one grain to its sheets. The run checks what each sink was given at its own grain, the workbook's first
   * (images while it has Images sheets): rows of that grain are counted as delivered.
   */
  private async put(grain: RecordGrain, rows: readonly GrainRow[]): Promise<void> {
    const sheet = this.data.get(grain);
    if (!sheet) return;
    if (grain === this.grains.primary) this.countDelivered(rows.length);
    await sheet.take(rows);
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

  /**
   * Writes the data sheets in order, the SLA and Changes sheets after the Findings, the Summary and the zip's end;
   * syncs the file, without renaming it into place.
   */
  protected async finishTarget(): Promise<void> {
    const { file, workbook } = this.opened();
    try {
      for (const sheet of this.data.values()) {
        await sheet.finish();
        if (sheet.grain !== this.grains.findings || !this.findings) continue;
        writeSlaSheet(workbook, this.ctx.startedAt, this.findings);
        if (this.changes) writeChangesSheet(workbook, this.ctx.startedAt, this.changes.rows);
      }
      if (this.options.summary) {
        this.totals.cellsCut = this.cellsCut();
        writeSummarySheet(workbook, this.ctx, this.totals, this.sheetNames(), this.findings, this.changes?.counts, {
          images: this.grains.listed.some((g) => g !== 'containers' && g !== 'container-findings'),
          ...(this.containerTotals ? { containers: this.containerTotals, containerFindings: this.grains.containerFindings } : {}),
          ...(this.softwareTotals ? { software: this.softwareTotals } : {}),
        });
      }
      await Promise.race([workbook.commit(), file.whenFailed()]);
    } catch (error) {
      await this.removeSpools();
      await file.abort();
      throw error instanceof SinkError ? error : new SinkError(`writing ${this.path} failed: ${(error as Error).message}`, { cause: error });
    }
    await file.finish();
  }

  protected async publishTarget(): Promise<SinkSummary> {
    const { file } = this.opened();
    const { path, bytes, published } = await file.commit();
    const cellsCut = this.cellsCut();
    const rowsAt = (grain: RecordGrain | false) => (grain ? this.data.get(grain)?.sheets.rows : undefined);
    // Rows of each sheet kind but Images: findings (or packages), software, containers and container findings.
    const rows: Record<string, number | undefined> = {
      findings: rowsAt(this.grains.findings),
      software: rowsAt('software'),
      containers: rowsAt('containers'),
      containerFindings: rowsAt('container-findings'),
    };
    return {
      type: 'excel',
      target: path,
      // At the workbook's grain, as delivered was counted: images while it has Images sheets, else the rows of its first sheet.
      records: rowsAt(this.grains.primary) ?? 0,
      rejected: 0,
      bytes,
      published,
      details: {
        sheets: this.sheetNames().join(', '),
        ...(this.grains.images ? { columns: this.columns.get('images')?.length ?? 0 } : {}),
        ...Object.fromEntries(Object.entries(rows).filter(([, n]) => n !== undefined)),
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
    await this.removeSpools();
    this.workbook?.zip?.abort?.();
    await this.file?.abort();
  }

  private async removeSpools(): Promise<void> {
    await Promise.all([...this.data.values()].map((sheet) => sheet.spool?.remove()));
  }

  /** Waits for the compressor when the queue is long; stops at once when the file failed or the sink was aborted. */
  private waitForZip(stream: unknown): Promise<void> {
    return this.backpressure.settle(stream, () => {
      this.throwIfAborted();
      this.file?.throwIfFailed();
    });
  }

  /** Cells cut to Excel's limit, over every data sheet. */
  private cellsCut(): number {
    let cut = 0;
    for (const sheet of this.data.values()) cut += sheet.sheets.cellsCut;
    return cut;
  }

  /** The data sheets, in workbook order. */
  private sheetNames(): string[] {
    return [...this.data.values()].flatMap((sheet) => sheet.sheets.names);
  }

  /** The open workbook. */
  private opened(): { file: AtomicFileWriter; workbook: StreamingWorkbook } {
    const { file, workbook } = this;
    if (!file || !workbook) throw new SinkError(`the excel sink for ${this.path} has no open workbook`);
    return { file, workbook };
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
