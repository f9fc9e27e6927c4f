export { QualysClient } from './client.js';
export { assertSecureUrl, isLoopbackHost } from './url-policy.js';
export { parseJwtExpiry } from './jwt.js';
