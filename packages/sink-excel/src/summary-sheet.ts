import type ExcelJS from 'exceljs';
import type { RunContext } from '@qcs-export/core';
import { toExcelCell, toExcelText, type ExcelCell } from './cells.js';
import { SEVERITY_NAMES, type SummaryTotals } from './summary-totals.js';
import { BOLD, DATE_FORMAT, HEADER_FILL, type StreamingWorkbook } from './workbook.js';

export const SUMMARY_SHEET = 'Summary';

/** Text cells pass the same cleaning and length cut as data cells: the filter and repositories come from users. */
const text = (value: string | null): ExcelCell => (value === null ? null : toExcelText(value).text);

/**
 * The Summary sheet: how the export ran, vulnerabilities by severity, and the ten riskiest images. Written after
 * the data sheets close, because its numbers are known only then.
 */
export function writeSummarySheet(workbook: StreamingWorkbook, ctx: RunContext, totals: SummaryTotals, dataSheets: readonly string[]): void {
  const sheet = workbook.addWorksheet(SUMMARY_SHEET);
  sheet.columns = [{ width: 34 }, { width: 66 }, { width: 50 }, { width: 12 }, { width: 14 }, { width: 12 }, { width: 12 }, { width: 14 }, { width: 24 }] as ExcelJS.Column[];
  const add = (values: ExcelCell[], style?: (cell: ExcelJS.Cell, column: number) => void) => {
    const row = sheet.addRow(values);
    if (style) row.eachCell((cell, column) => style(cell, column));
    row.commit();
  };
  const heading = (title: string) => add([title], (cell) => (cell.font = { bold: true, size: 13 }));
  const tableHeader = (names: string[]) =>
    add(names, (cell) => {
      cell.font = BOLD;
      cell.fill = HEADER_FILL;
    });
  const label = (cell: ExcelJS.Cell, column: number) => {
    if (column === 1) cell.font = BOLD;
  };

  add(['Qualys Container Security image inventory'], (cell) => (cell.font = { bold: true, size: 15 }));
  add([]);
  heading('Export');
  add(['Exported at', ctx.startedAt], (cell, column) => {
    label(cell, column);
    if (column === 2) {
      cell.numFmt = DATE_FORMAT;
      cell.alignment = { horizontal: 'left' };
    }
  });
  add(['Source', text(ctx.sourceLabel)], label);
  add(['Filter (QQL)', text(ctx.filter ?? '(none: all images)')], label);
  add(['Tool', `qcs-export ${ctx.toolVersion}`], label);
  add(['Images exported', totals.images], label);
  add(['Data sheets', dataSheets.join(', ')], label);
  add([`Cells cut to Excel's 32,767 characters`, totals.cellsCut], label);
  add([]);

  heading('Vulnerabilities by severity');
  tableHeader(['Severity', 'Vulnerabilities', 'Images with at least one']);
  for (const s of [...totals.bySeverity].reverse()) add([`${s.severity} (${SEVERITY_NAMES[s.severity - 1]})`, s.vulnerabilities, s.images], label);
  add(['Total', totals.vulnerabilities, null], (cell) => (cell.font = BOLD));
  if (totals.imagesWithoutCounts > 0) {
    add(['Images without severity counts', totals.imagesWithoutCounts], label);
  }
  add([]);

  heading('Ten riskiest images');
  tableHeader(['Rank', 'Image SHA', 'Repositories', 'Risk Score', 'QDS Severity', 'Severity 5', 'Severity 4', 'Vulnerabilities', 'Last Scanned']);
  totals.riskiest().forEach((image, i) => {
    add(
      [i + 1, image.sha, text(image.repositories), image.riskScore, text(image.qdsSeverity), image.severity5, image.severity4, image.total, toExcelCell(image.lastScanned, 'date').cell],
      (cell, column) => {
        if (column === 1) cell.alignment = { horizontal: 'left' };
        if (column === 9) cell.numFmt = DATE_FORMAT;
      },
    );
  });
  if (totals.riskiest().length === 0) add(['(no images)']);
  sheet.commit();
}
