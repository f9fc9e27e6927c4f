export {
  buildColumns,
  buildColumnsFor,
  columnSpecSchema,
  DEFAULT_COLUMNS,
  IMAGE_SHAPE,
  tabularOptionsShape,
  type AnyColumn,
  type CellValue,
  type Column,
  type ColumnSpec,
  type ColumnType,
  type KnownColumn,
  type RecordShape,
} from './columns.js';
export { checkTabularOutput, refineColumns, tabularColumns } from './tabular.js';
export { runStamp, runStampColumns, stampRunOption } from './run-stamp.js';
