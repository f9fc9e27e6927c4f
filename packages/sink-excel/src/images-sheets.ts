import type ExcelJS from 'exceljs';
import type { Column, ImageRecord } from '@qcs-export/core/sink';
import { toExcelCell, type ExcelCell } from './cells.js';
import { MIN_WIDTH, planPrint, type PrintLayout } from './print-layout.js';
import { dataSheetPrint } from './print-setup.js';
import { DATE_FORMAT, HEADER_FILL, type StreamingSheet, type StreamingWorkbook } from './workbook.js';

/** Columns whose cells get a fill when non-zero, by severity: the eye should land on urgent findings first. */
const SEVERITY_FILLS: Record<string, string> = {
  'vulnerabilityCounts.severity5Count': 'FFF4B6B6',
  'vulnerabilityCounts.severity4Count': 'FFF9CB9C',
  'vulnerabilityCounts.severity3Count': 'FFFFE699',
};

/**
 * Findings whose fix deadline passed, in the SLA Status and Days Overdue cells, and those under an exception, in grey:
 * a formula rule on the status (an exact word, core's SlaStatus), which Excel and LibreOffice both apply and print.
 */
const SLA_FILLS: Record<string, string> = { breached: 'FFF4B6B6', exempted: 'FFD9D9D9' };
const SLA_COLUMNS = ['slaStatus', 'daysOverdue'];

/**
 * Software past its end of life, the whole row in lavender (set apart from the severity colours, which win in their own
 * cells): a formula rule on the Past End of Life cell, TRUE as the sheet holds it.
 */
const END_OF_LIFE_FILL = 'FFE4DFEC';
const END_OF_LIFE_COLUMN = 'pastEndOfLife';

/** The header's font, named: a bold font without a name prints in LibreOffice's default serif. */
const HEADER_FONT: Partial<ExcelJS.Font> = { name: 'Calibri', size: 11, bold: true };
/** Text set off from a number or date right-aligned beside it ("335 3.1.25" would read as one value). */
const INDENT: Partial<ExcelJS.Style> = { alignment: { horizontal: 'left', indent: 1 } };
/** Points per line of Calibri 11, as Excel's default row height. */
const LINE_HEIGHT = 15;

/** Letters of a 1-based column number (1 → A, 27 → AA). */
export function columnLetters(n: number): string {
  let letters = '';
  for (let x = n; x > 0; x = Math.floor((x - 1) / 26)) letters = String.fromCharCode(65 + ((x - 1) % 26)) + letters;
  return letters;
}

function displayWidth(value: ExcelCell): number {
  if (value === null) return 0;
  if (value instanceof Date) return DATE_FORMAT.length - 2;
  const text = String(value);
  const newline = text.indexOf('\n');
  return newline === -1 ? text.length : newline;
}

/**
 * The data sheets of one grain: "Images" (or "Findings", "Software", "Containers", "Container Findings"), then
 * "Images (2)", … once a sheet holds `rowsPerSheet` rows, each with the same bold, frozen header, autofilter, widths,
 * severity colours and print setup. Only one sheet is open at a time: exceljs keeps the rows of a
 * later sheet in memory while an earlier one is still open (exceljs#629).
 */
export class ImagesSheets<R = ImageRecord> {
  readonly names: string[] = [];
  /** Data rows over all sheets. */
  rows = 0;
  cellsCut = 0;
  private sheet: StreamingSheet | undefined;
  private rowsInSheet = 0;
  /** Widths and print area, fixed when the first sheet opens. */
  layout: PrintLayout | undefined;

  /**
   * `printKeys`: the default columns that lead a printed page (print-layout.ts); without, the user chose the
   * columns and all of them print.
   */
  constructor(
    private readonly workbook: StreamingWorkbook,
    private readonly columns: readonly Column<R>[],
    private readonly baseName: string,
    private readonly rowsPerSheet: number,
    private readonly startedAt: Date,
    private readonly printKeys?: ReadonlySet<string>,
  ) {}

  /** The stream of the open sheet, for backpressure. */
  get stream(): unknown {
    return this.sheet?.stream;
  }

  /** Appends one record as a row, starting the next sheet when this one is full. */
  add(record: R): void {
    if (!this.sheet || this.rowsInSheet >= this.rowsPerSheet) this.startSheet([record]);
    const values = this.columns.map((column) => {
      const { cell, cut } = toExcelCell(column.value(record), column.type);
      if (cut) this.cellsCut += 1;
      return cell;
    });
    (this.sheet as StreamingSheet).addRow(values).commit();
    this.rowsInSheet += 1;
    this.rows += 1;
  }

  /** Widths are fixed when a sheet opens, so they are measured on the header and the first batch. */
  measure(sample: readonly R[]): void {
    if (this.layout) return;
    const measured = this.columns.map((column) => {
      let valueWidth = 0;
      for (const record of sample) valueWidth = Math.max(valueWidth, displayWidth(toExcelCell(column.value(record), column.type).cell) + 2);
      return { key: column.key, header: column.header, type: column.type, valueWidth };
    });
    this.layout = planPrint(measured, this.printKeys);
  }

  /** Closes the open sheet; an export with no records still gets one sheet with the header. */
  finish(): void {
    if (!this.sheet) this.startSheet([]);
    this.closeSheet();
  }

  private startSheet(sample: readonly R[]): void {
    this.closeSheet();
    this.measure(sample);
    const name = this.names.length === 0 ? this.baseName : `${this.baseName} (${this.names.length + 1})`;
    const layout = this.layout as PrintLayout;
    const sheet = this.workbook.addWorksheet(name, {
      views: [{ state: 'frozen', xSplit: 0, ySplit: 1, activeCell: 'A2' }],
      ...dataSheetPrint(this.startedAt, layout),
    }) as StreamingSheet;
    // Column styles go in before the first row: the streaming writer emits <cols> with it.
    sheet.columns = this.columns.map((column, i) => ({
      key: column.key,
      width: layout.widths[i] ?? MIN_WIDTH,
      style: column.type === 'date' ? { numFmt: DATE_FORMAT } : column.key === 'size' ? { numFmt: '#,##0' } : i > 0 && column.type === 'string' ? INDENT : {},
    })) as ExcelJS.Column[];
    const header = sheet.addRow(this.columns.map((c) => c.header));
    header.eachCell((cell) => {
      cell.font = HEADER_FONT;
      cell.fill = HEADER_FILL;
      cell.numFmt = 'General';
      // Printed columns are narrower than their header, which wraps; the row is made as tall as that needs.
      cell.alignment = { wrapText: true, vertical: 'top' };
    });
    if (layout.headerLines > 1) header.height = layout.headerLines * LINE_HEIGHT;
    header.commit();
    this.names.push(name);
    this.sheet = sheet;
    this.rowsInSheet = 0;
  }

  private closeSheet(): void {
    const sheet = this.sheet;
    if (!sheet) return;
    const lastRow = this.rowsInSheet + 1;
    const lastColumn = columnLetters(this.columns.length);
    // Filter and conditional formats are written when the sheet closes, so they can span the rows it really has.
    sheet.autoFilter = `A1:${lastColumn}${lastRow}`;
    // Rows are known only now. "A$1:J$9" is how exceljs is made to write the defined name absolute: '…'!$A$1:$J$9.
    sheet.pageSetup.printArea = `A$1:${columnLetters(this.layout?.printColumns ?? this.columns.length)}$${lastRow}`;
    if (this.rowsInSheet > 0) {
      let priority = 0;
      this.columns.forEach((column, i) => {
        const fill = SEVERITY_FILLS[column.key];
        if (!fill) return;
        const letter = columnLetters(i + 1);
        sheet.addConditionalFormatting({
          ref: `${letter}2:${letter}${lastRow}`,
          rules: [
            {
              type: 'cellIs',
              operator: 'greaterThan',
              formulae: [0],
              priority: ++priority,
              style: { fill: { type: 'pattern', pattern: 'solid', bgColor: { argb: fill } } },
            },
          ],
        });
      });
      const slaAt = this.columns.map((column, i) => (SLA_COLUMNS.includes(column.key) ? i + 1 : 0)).filter((i) => i > 0);
      const status = this.columns.findIndex((column) => column.key === 'slaStatus') + 1;
      if (status > 0) {
        const ref = `${columnLetters(Math.min(...slaAt))}2:${columnLetters(Math.max(...slaAt))}${lastRow}`;
        sheet.addConditionalFormatting({
          ref,
          rules: Object.entries(SLA_FILLS).map(([word, fill]) => ({
            type: 'expression',
            formulae: [`$${columnLetters(status)}2="${word}"`],
            priority: ++priority,
            style: { fill: { type: 'pattern', pattern: 'solid', bgColor: { argb: fill } } },
          })),
        });
      }
      const endOfLife = this.columns.findIndex((column) => column.key === END_OF_LIFE_COLUMN) + 1;
      if (endOfLife > 0) {
        sheet.addConditionalFormatting({
          ref: `A2:${lastColumn}${lastRow}`,
          rules: [
            {
              type: 'expression',
              formulae: [`$${columnLetters(endOfLife)}2=TRUE`],
              priority: ++priority,
              style: { fill: { type: 'pattern', pattern: 'solid', bgColor: { argb: END_OF_LIFE_FILL } } },
            },
          ],
        });
      }
    }
    sheet.commit();
    this.sheet = undefined;
  }
}
