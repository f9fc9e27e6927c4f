export { buildColumns, DEFAULT_COLUMNS, IMAGE_SHAPE } from './image-columns.js';
export { FINDING_SHAPE, PACKAGE_SHAPE } from './finding-columns.js';
export { CONTAINER_FINDING_SHAPE, CONTAINER_SHAPE } from './container-columns.js';
export { SOFTWARE_SHAPE } from './software-columns.js';
export {
  CONTAINER_GRAINS,
  containerRow,
  containerRowsOf,
  FINDING_GRAINS,
  findingRowOptions,
  findingsDemandOf,
  grainReads,
  RECORD_GRAINS,
  recordsOption,
  rowsOf,
  shapeOf,
  sinkGrains,
  takesFixedFindingsAt,
  type GrainRow,
  type GrainRows,
  type RecordGrain,
} from './grain.js';
export { checkTabularOutput, refineColumns, tabularColumns } from './tabular.js';
