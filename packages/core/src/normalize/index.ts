export { normalizeImage, vulnerabilityCounts } from './normalize-image.js';
export { toBool, toCount, toIsoDate, toNumber, toStr, toStringArray } from './values.js';
export { normalizeContainer } from './normalize-container.js';
export { normalizeSoftware } from './normalize-software.js';
