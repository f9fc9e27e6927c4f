/**
 * What the client applies when the caller leaves a timeout or the retry budget out. Named here so the config schema
 * documents the very numbers the client uses (source.timeouts.*, source.retries).
 */
export const CLIENT_DEFAULTS = {
  connectTimeoutMs: 10_000,
  headersTimeoutMs: 60_000,
  bodyTimeoutMs: 60_000,
  requestTimeoutMs: 120_000,
  maxRetries: 6,
} as const;
