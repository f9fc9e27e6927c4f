export { buildColumns, DEFAULT_COLUMNS, IMAGE_SHAPE } from './image-columns.js';
export { FINDING_SHAPE, PACKAGE_SHAPE } from './finding-columns.js';
export { findingRowOptions, RECORD_GRAINS, recordsOption, rowsOf, shapeOf, type RecordGrain } from './grain.js';
export { checkTabularOutput, refineColumns, tabularColumns } from './tabular.js';
