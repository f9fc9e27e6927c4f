export { imageSource, PAGE_SIZE_LIMITS } from './image-source.js';
export { nextPaginationQuery } from './link-header.js';
export { prefetch } from './prefetch.js';
