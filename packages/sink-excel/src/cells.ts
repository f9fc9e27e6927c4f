import type { CellValue, ColumnType } from '@qcs-export/core/sink';

/** Excel's limit on the characters in one cell; longer text makes Excel report the file as damaged. */
export const EXCEL_MAX_CELL_CHARS = 32_767;

/** What an Excel cell holds: text, a number, a boolean, a real date, or nothing. Never a formula object. */
export type ExcelCell = string | number | boolean | Date | null;

// XML 1.0 cannot carry C0 controls other than tab, LF and CR, lone surrogates, or U+FFFE/U+FFFF; one of them in
// a sheet makes the whole workbook unreadable, so they are dropped.
const NOT_XML_SOURCE =
  '[\\u0000-\\u0008\\u000b\\u000c\\u000e-\\u001f\\ufffe\\uffff]|[\\ud800-\\udbff](?![\\udc00-\\udfff])|(?<![\\ud800-\\udbff])[\\udc00-\\udfff]';
const HAS_NOT_XML = new RegExp(NOT_XML_SOURCE);
const ALL_NOT_XML = new RegExp(NOT_XML_SOURCE, 'g');
// Excel's calendar starts at 1900-01-01; an earlier date would show as ####, so it stays text.
const EXCEL_EPOCH_MS = Date.UTC(1900, 0, 1);

export const truncationMarker = (originalLength: number) =>
  ` … [cut: ${originalLength.toLocaleString('en-US')} characters, Excel holds ${EXCEL_MAX_CELL_CHARS.toLocaleString('en-US')}]`;

/**
 * Text Excel can hold: invalid XML characters removed, line breaks as LF (XML parsers turn a raw CR into LF anyway,
 * and LF is Excel's in-cell line break), cut to 32,767 characters with a visible marker.
 */
export function toExcelText(value: string): { text: string; cut: boolean } {
  let clean = HAS_NOT_XML.test(value) ? value.replace(ALL_NOT_XML, '') : value;
  if (clean.includes('\r')) clean = clean.replace(/\r\n?/g, '\n');
  if (clean.length <= EXCEL_MAX_CELL_CHARS) return { text: clean, cut: false };
  const marker = truncationMarker(clean.length);
  let keep = EXCEL_MAX_CELL_CHARS - marker.length;
  // Never split a surrogate pair: half an emoji is itself invalid XML.
  if (/[\ud800-\udbff]/.test(clean.charAt(keep - 1))) keep -= 1;
  return { text: clean.slice(0, keep) + marker, cut: true };
}

/**
 * Turns a column value into a cell of the column's kind: ISO dates into real dates (exceljs writes them as UTC
 * serials), numbers as numbers. A value that does not fit its kind is written as text rather than dropped.
 */
export function toExcelCell(value: CellValue, type: ColumnType): { cell: ExcelCell; cut: boolean } {
  if (value === null) return { cell: null, cut: false };
  if (typeof value === 'number') return Number.isFinite(value) ? { cell: value, cut: false } : { cell: null, cut: false };
  if (typeof value === 'boolean') return { cell: value, cut: false };
  if (type === 'date') {
    const ms = Date.parse(value);
    if (ms >= EXCEL_EPOCH_MS) return { cell: new Date(ms), cut: false };
  }
  const { text, cut } = toExcelText(value);
  return { cell: text, cut };
}
