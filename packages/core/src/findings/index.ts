export type { AffectedPackage, FindingChange, FindingRecord } from './finding-record.js';
export { findingKey, findingRows, type FindingRowOptions } from './finding-rows.js';
export { QUALYS_SEVERITY_WORDS, SEVERITY_LABELS, severityLabel, severityText, type SeverityLabel } from './severity.js';
export { SLA_STATUS_MEANINGS, slaFields, type SlaFields, type SlaStatus } from './sla.js';
export { findingLineOf, fixedFinding, imageLineOf, type FindingLine, type ImageLine } from './finding-change.js';
export type { ContainerFindingRecord } from './container-finding-record.js';
export { containerFindingRows } from './container-finding-rows.js';
export { softwareKey, softwareRows } from './software-rows.js';
