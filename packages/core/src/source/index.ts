export { imageSource, decideAuto, countNow, PAGE_SIZE_LIMITS, DEFAULT_PAGE_NUMBER_LIMIT } from './image-source.js';
export { nextPaginationQuery } from './link-header.js';
export { prefetch } from './prefetch.js';
export { selfTestKeyset, type FormVerdict, type SelfTestResult } from './self-test.js';
export { ShaSet } from './sha-set.js';
export { IMAGES_PATH, BULK_PATH, IMAGES_RESULT_CAP } from './crawl-context.js';
export { diagnoseServer, type Diagnosis, type DiagnoseOptions } from './diagnose.js';
export { enrichImages, type EnrichOptions, type EnrichStats, type FindingsEndpoint } from './enrich.js';
export { DEFAULT_ADVICE, type SourceAdvice } from './advice.js';
