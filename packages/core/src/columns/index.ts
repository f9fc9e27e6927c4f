export { buildColumns, columnSpecSchema, DEFAULT_COLUMNS, refineColumns, tabularOptionsShape, type CellValue, type Column, type ColumnSpec, type ColumnType } from './columns.js';
export { checkTabularOutput } from './check.js';
