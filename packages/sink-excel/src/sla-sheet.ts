import type ExcelJS from 'exceljs';
import { severityText } from '@qcs-export/core/sink';
import type { FindingsTotals } from './findings-totals.js';
import { summaryPrint } from './print-setup.js';
import { BOLD, HEADER_FILL, type StreamingWorkbook } from './workbook.js';

export const SLA_SHEET = 'SLA';

const HEADERS = [
  'Severity',
  'SLA (days)',
  'Open findings',
  'Breached',
  'Breached %',
  'Oldest (days)',
  'Median age (days)',
  'Images with a breached finding',
  'Exempted (apart)',
];
const WIDTHS = [16, 11, 14, 11, 11, 14, 18, 30, 16];

/**
 * The SLA sheet: per severity, the findings open at the export's start, how many are past their due date, the oldest
 * and the median age, and how many images hold a breached one; findings under an exception are counted apart, in the
 * last column, and left out of every other figure. Numbers are numbers, so the auditor can sort and sum.
 */
export function writeSlaSheet(workbook: StreamingWorkbook, startedAt: Date, totals: FindingsTotals): void {
  const sheet = workbook.addWorksheet(SLA_SHEET, summaryPrint(startedAt));
  sheet.columns = WIDTHS.map((width) => ({ width })) as ExcelJS.Column[];
  const header = sheet.addRow(HEADERS);
  header.eachCell((cell) => {
    cell.font = BOLD;
    cell.fill = HEADER_FILL;
    cell.alignment = { wrapText: true, vertical: 'top' };
  });
  header.commit();
  for (const s of totals.sla()) {
    const row = sheet.addRow([
      severityText(s.severity),
      s.slaDays,
      s.open,
      s.breached,
      s.open === 0 ? null : s.breached / s.open,
      s.oldestDays,
      s.medianDays,
      s.imagesBreached,
      s.exempted,
    ]);
    row.eachCell((cell, column) => {
      if (column === 5) cell.numFmt = '0.0%';
      else if (column > 1) cell.numFmt = '#,##0';
    });
    row.commit();
  }
  if (totals.sla().length === 0) sheet.addRow(['(no findings)']).commit();
  sheet.commit();
}
