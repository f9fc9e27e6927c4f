import { excelSink } from './plugin.js';

export { excelSink } from './plugin.js';
export { createExcelSink, type ExcelSinkInternals } from './excel-sink.js';
export { EXCEL_MAX_CELL_CHARS, toExcelCell, toExcelText, truncationMarker } from './cells.js';
export { EXCEL_MAX_DATA_ROWS, excelOptions, type ExcelSinkOptions } from './options.js';
export { SUMMARY_SHEET } from './summary-sheet.js';
export { DATE_FORMAT } from './workbook.js';
export { ZipBackpressure } from './zip-backpressure.js';
export default excelSink;
