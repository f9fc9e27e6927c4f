export { QualysClient } from './client.js';
export { CLIENT_DEFAULTS } from './defaults.js';
export { RateGovernor, type RateGovernorOptions, type Slot } from './rate-governor.js';
export { assertSecureUrl, isLoopbackHost } from './url-policy.js';
export { QUALYS_PLATFORM_NAMES, QUALYS_PLATFORMS, type QualysPlatform } from './platforms.js';
export { parseJwtExpiry } from './jwt.js';
export { tlsVerificationDisabled } from './tls-verification.js';
