export type { AffectedPackage, FindingRecord, RecordGrain } from './finding-record.js';
export { findingKey, findingRows, type FindingRowOptions } from './finding-rows.js';
export { severityLabel, type SeverityLabel } from './severity.js';
export { DEFAULT_SLA, slaFields, type SlaFields, type SlaPolicy, type SlaStatus } from './sla.js';
export { FINDING_SHAPE, PACKAGE_SHAPE } from './finding-columns.js';
export { findingRowOptions, recordsOption, rowsOf, shapeOf } from './grain.js';
