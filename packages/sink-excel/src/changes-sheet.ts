import type ExcelJS from 'exceljs';
import { type FindingRecord, severityText } from '@qcs-export/core/sink';
import { toExcelCell, toExcelText, type ExcelCell } from './cells.js';
import { fitScale, LETTER_PRINTABLE_INCHES } from './print-layout.js';
import { dataSheetPrint } from './print-setup.js';
import { BOLD, DATE_FORMAT, HEADER_FILL, type StreamingWorkbook } from './workbook.js';

export const CHANGES_SHEET = 'Changes';

// A fixed finding's last found is its Since; a new one's first found too: no Last Found column beside them.
const HEADERS = ['Change', 'Since', 'Repositories', 'QID', 'Title', 'Severity', 'First Found', 'Fixed Version', 'Image SHA'];
/**
 * Printed one page wide and as many tall as the rows need, at 75% or more on Letter landscape (fitScale): repositories
 * and titles wrap, and the sha shows its start, enough to find the image on the Findings sheet.
 */
const WIDTHS = [9, 23, 30, 9, 40, 12, 23, 14, 14];
/** The print setup of the sheet: a data sheet's, fitted to one page wide (see WIDTHS). */
export const CHANGES_PRINT_SCALE = fitScale(WIDTHS, LETTER_PRINTABLE_INCHES);

/** A new or fixed finding as the Changes sheet lists it: a few fields, so the list costs little memory. */
export interface ChangeRow {
  change: 'new' | 'fixed';
  /** When it changed, as far as the data says: a new finding's first found, a fixed one's last found (its last sighting). */
  since: string | null;
  repositories: string;
  qid: number;
  title: string | null;
  severity: number | null;
  firstFound: string | null;
  lastFound: string | null;
  fixedVersion: string | null;
  sha: string;
}

/** The row of the Changes sheet of a new or fixed finding (an open one has none). */
export function changeRowOf(row: FindingRecord, joinWith: string): ChangeRow | undefined {
  if (row.change !== 'new' && row.change !== 'fixed') return undefined;
  return {
    change: row.change,
    since: row.change === 'new' ? row.firstFound : row.lastFound,
    repositories: row.repositories.join(joinWith),
    qid: row.qid,
    title: row.title,
    severity: row.severity,
    firstFound: row.firstFound,
    lastFound: row.lastFound,
    fixedVersion: row.fixedVersion,
    sha: row.sha,
  };
}

const text = (value: string | null): ExcelCell => (value === null ? null : toExcelText(value).text);

/**
 * The Changes sheet of a compared run (`run --compare-to`): the findings new since the run compared with and those
 * fixed since, newest first (by when each changed: first found for a new one, last found for a fixed one).
 */
export function writeChangesSheet(workbook: StreamingWorkbook, startedAt: Date, rows: ChangeRow[]): void {
  const sheet = workbook.addWorksheet(
    CHANGES_SHEET,
    dataSheetPrint(startedAt, { widths: WIDTHS, printColumns: WIDTHS.length, fit: { toWidth: true }, headerLines: 1 }),
  );
  sheet.columns = WIDTHS.map((width) => ({ width })) as ExcelJS.Column[];
  const header = sheet.addRow(HEADERS);
  header.eachCell((cell) => {
    cell.font = BOLD;
    cell.fill = HEADER_FILL;
  });
  header.commit();
  rows.sort((a, b) => (b.since ?? '').localeCompare(a.since ?? '') || a.qid - b.qid);
  for (const r of rows) {
    const row = sheet.addRow([
      r.change,
      toExcelCell(r.since, 'date').cell,
      text(r.repositories),
      r.qid,
      text(r.title),
      r.severity === null ? null : severityText(r.severity),
      toExcelCell(r.firstFound, 'date').cell,
      text(r.fixedVersion),
      r.sha,
    ]);
    row.eachCell((cell, column) => {
      if (column === 2 || column === 7) cell.numFmt = DATE_FORMAT;
      if (column === 4) cell.numFmt = '0';
      if (column === 3 || column === 5) cell.alignment = { wrapText: true, vertical: 'top' };
    });
    row.commit();
  }
  if (rows.length === 0) sheet.addRow(['(no new or fixed findings)']).commit();
  sheet.commit();
}
