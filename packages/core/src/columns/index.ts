export {
  buildColumnsFor,
  columnSpecSchema,
  tabularOptionsShape,
  type AnyColumn,
  type CellValue,
  type Column,
  type ColumnSpec,
  type ColumnType,
  type KnownColumn,
  type RecordShape,
} from './columns.js';
export { runStamp, runStampColumns, stampRunOption, type RunFacts } from './run-stamp.js';
