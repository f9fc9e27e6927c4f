export { imageSource } from './image-source.js';
export { containerSource } from './container-source.js';
export { listSource } from './list-source.js';
export {
  CONTAINERS,
  CONTAINERS_BULK_PATH,
  CONTAINERS_PATH,
  CONTAINERS_RESULT_CAP,
  IMAGES,
  type ListResource,
  type ListRead,
  type BulkCursor,
} from './resource.js';
export { decideAuto } from './choose-strategy.js';
export { countNow } from './count-now.js';
export { PAGE_SIZE_LIMITS, DEFAULT_PAGE_NUMBER_LIMIT, pageNumberLimitFor } from './settings.js';
export { nextPaginationQuery } from './link-header.js';
export { prefetch } from './prefetch.js';
export { selfTestKeyset, type FormVerdict, type SelfTestResult } from './self-test.js';
export { ShaSet } from './sha-set.js';
export { andFilters } from './qql.js';
export { IMAGES_PATH, BULK_PATH, IMAGES_RESULT_CAP } from './crawl-context.js';
export { diagnoseServer, type Diagnosis, type DiagnoseOptions } from './diagnose.js';
export { diagnoseContainers, type ContainerDiagnosis } from './diagnose-containers.js';
export { enrichImages, type EnrichOptions, type EnrichStats, type FindingsEndpoint } from './enrich.js';
export type { CountMismatch } from './count-check.js';
export { DEFAULT_ADVICE, type SourceAdvice } from './advice.js';
export { lookUpImages, type ImageLookupOptions, type ImageLookupStats } from './container-images.js';
export { ImageCache } from './image-cache.js';
export { enrichSoftware, SOFTWARE_PAGE_SIZE, type SoftwareOptions, type SoftwareStats } from './enrich-software.js';
