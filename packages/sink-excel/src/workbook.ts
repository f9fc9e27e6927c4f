import type { Writable } from 'node:stream';
import ExcelJS from 'exceljs';

/** The exceljs streaming worksheet, with the stream its rows are written to (see zip-backpressure.ts). */
export type StreamingSheet = ExcelJS.Worksheet & { stream: unknown };

export type StreamingWorkbook = ExcelJS.stream.xlsx.WorkbookWriter & {
  /** archiver's zip stream, for abort() and the app.xml of document-properties.ts (exceljs 4.4.0 internals). */
  zip?: {
    abort?: () => void;
    on?: (event: 'error', listener: (e: Error) => void) => void;
    append?: (source: string, data: { name: string }) => void;
  };
};

/**
 * A streaming workbook writing into `out`. Styles are on (bold header, date and number formats); shared strings
 * are off, since exceljs keeps that table in memory until the end (2.1 GB at 200k rows, docs/library-notes.md §2) and
 * nearly every cell in an inventory is unique anyway.
 */
export function createWorkbook(out: Writable): StreamingWorkbook {
  const workbook = new ExcelJS.stream.xlsx.WorkbookWriter({ stream: out, useStyles: true, useSharedStrings: false }) as StreamingWorkbook;
  // A failure of the file is reported by the file writer; without a listener, archiver's own echo would crash the process.
  workbook.zip?.on?.('error', () => undefined);
  return workbook;
}

export const BOLD = { bold: true, name: 'Calibri' } as const;
export const HEADER_FILL: ExcelJS.Fill = { type: 'pattern', pattern: 'solid', fgColor: { argb: 'FFD9E1F2' } };
/** Dates in UTC, with the zone in the display so nobody reads them as local time. */
export const DATE_FORMAT = 'yyyy-mm-dd hh:mm:ss "UTC"';
/** A time as DATE_FORMAT shows it, for places that hold text only: page headers, document properties. */
export const utcText = (date: Date): string => `${date.toISOString().slice(0, 19).replace('T', ' ')} UTC`;
/** The workbook's title, in its properties and on every printed page. */
export const WORKBOOK_TITLE = 'Qualys Container Security images';
