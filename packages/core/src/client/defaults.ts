/**
 * What the client applies when the caller leaves a timeout or the retry budget out. Named here so the config schema
 * documents the very numbers the client uses (source.timeouts.*, source.retries, source.maxResponseMiB).
 */
export const CLIENT_DEFAULTS = {
  connectTimeoutMs: 10_000,
  headersTimeoutMs: 60_000,
  bodyTimeoutMs: 60_000,
  requestTimeoutMs: 120_000,
  maxRetries: 6,
  /**
   * One answer's size cap. A finding in the details shape takes well under 2 KiB (the simulator's about 650 bytes), so
   * this holds an image with tens of thousands of findings; far larger is a runaway server or something else answering,
   * and reading it would only exhaust the memory.
   */
  maxResponseBytes: 64 * 1024 * 1024,
} as const;
