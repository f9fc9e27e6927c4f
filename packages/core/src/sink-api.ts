/**
 * `@qcs-export/core/sink`: what a sink package needs from core (the contract, its life cycle, atomic files, columns,
 * errors, the record, the retry backoff), without the Qualys client and its HTTP stack or the image source, which
 * only the runner uses.
 */
export * from './errors.js';
export * from './logger.js';
export * from './record.js';
export * from './container-record.js';
export * from './software-record.js';
export * from './record-fields.js';
export * from './sink/contract.js';
export * from './sink/index.js';
export * from './columns/index.js';
export * from './suggest.js';
export { backoffDelay } from './retry/backoff.js';
export { assertSecureUrl, isLoopbackHost } from './client/url-policy.js';
export { noProxyMatches, proxyEnvOf, proxyFor, type ProxyEnv } from './client/proxy-env.js';
export * from './findings/index.js';
export * from './grain/index.js';
export * from './sla-policy.js';
export * from './secret-fields.js';
