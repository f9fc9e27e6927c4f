export { startSimulator, type QualysSimulator } from './server.js';
export type { LinkStyle, RateLimits, SimulatorOptions, UpdatesDuringCrawl } from './options.js';
export type { RequestLogEntry, SimulatorStats } from './context.js';
export type { Dialect, DialectConstruct } from './dialect.js';
export type { EmptyPageShape, Fault, PageFault } from './faults.js';
export type { RateLimitBucket, RateLimitHeaderStyle, RateLimitMode } from './rate-limit.js';
export type { Credentials } from './auth.js';
export { applyTies, type Ties } from './ties.js';
export { generateImages, type GenerateOptions, type RawImage } from './data.js';
export {
  CONTAINER_SORT,
  containerSkew,
  type ContainerSortField,
  generateContainers,
  type GenerateContainersOptions,
  type RawCluster,
  type RawContainer,
  type RawHost,
} from './containers.js';
export { containerDetails } from './container-shapes.js';
export { softwareAnswer, UNKNOWN_DATE } from './software.js';
export { CONTAINER_FIELDS } from './resources.js';
export {
  combineFilters,
  IMAGE_FIELDS,
  parseQql,
  QqlError,
  type ParsedFilter,
  type QqlConstruct,
  type QqlField,
  type QqlFields,
  type QqlOptions,
} from './qql.js';
export { describeSimulator } from './describe.js';
export { imageExceptions, imageFindings, NO_END } from './findings.js';
