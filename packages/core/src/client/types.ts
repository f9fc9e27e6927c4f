import type { Logger } from '../logger.js';

/** How the client proves who it is. Secrets live only in these objects, never in logs or errors. */
export type QualysAuth =
  | { kind: 'jwt'; username: string; password: string }
  | { kind: 'token'; token: string }
  | { kind: 'basic'; username: string; password: string };

export interface RetryOptions {
  /**
   * Retries after the first attempt, for 500/502/503/504, connection failures, timeouts and a 2xx whose body is not
   * JSON. Waits after 429/409 (rate or concurrency limit) do not use this budget: they have their own. Default: 6.
   */
  maxRetries: number;
  /** First backoff delay; doubles each retry, with equal jitter (see backoffDelay). Default: 500 ms. */
  baseDelayMs: number;
  /** Cap on one backoff delay. Default: 30,000 ms. */
  maxDelayMs: number;
  /** Longest single wait the server may ask for (X-RateLimit-ToWait-Sec, Retry-After) before giving up. Default: 300,000 ms. */
  maxServerWaitMs: number;
}

/**
 * A setting the client's error messages may tell the user to change, by the name of the option that takes it:
 * QualysClientOptions (baseUrl, auth, requestTimeoutMs, the timeouts, maxResponseBytes, tlsCaFile: the file `ca`
 * is read from) or the image source's (filter, pageSize, concurrency).
 */
export type QualysSetting = 'baseUrl' | 'auth' | 'timeouts' | 'requestTimeoutMs' | 'filter' | 'pageSize' | 'concurrency' | 'maxResponseBytes' | 'tlsCaFile';

export interface QualysClientOptions {
  /** The gateway base URL, e.g. https://gateway.qg1.apps.qualys.com. http:// is accepted only for loopback hosts. */
  baseUrl: string;
  auth: QualysAuth;
  /** TCP+TLS connect timeout. Default: 10,000 ms. */
  connectTimeoutMs?: number;
  /** Time to the response headers. Default: 60,000 ms. */
  headersTimeoutMs?: number;
  /** Longest silence while reading a body. Default: 60,000 ms. */
  bodyTimeoutMs?: number;
  /**
   * Overall deadline of one attempt, from sending the request to the last byte of the body. headersTimeoutMs and
   * bodyTimeoutMs only bound each silence, so a body trickling in slowly would otherwise never end. An attempt
   * over the limit fails with a retryable TimeoutError. Default: 120,000 ms.
   */
  requestTimeoutMs?: number;
  retry?: Partial<RetryOptions>;
  /**
   * The largest answer accepted, in bytes: a Content-Length above it fails before the body is read, and a body that
   * streams past it is cut off there. Either is a ProtocolError (QCS_PROTOCOL), not retried. Default: 64 MiB.
   */
  maxResponseBytes?: number;
  /**
   * CA certificates (PEM) trusted in addition to Node's own and those of NODE_EXTRA_CA_CERTS: a private CA, or the
   * CA of a TLS-inspecting proxy. Default: none.
   */
  ca?: string;
  /** Renew a JWT this long before its `exp`. Default: 300,000 ms (5 min). */
  tokenRenewBeforeMs?: number;
  /** Environment to read HTTPS_PROXY / NO_PROXY from. Default: process.env. */
  env?: NodeJS.ProcessEnv;
  logger?: Logger;
  /**
   * Hides secrets the client does not know (the caller's other credentials) in text a server sent, before the
   * client quotes it in an error or log line and cuts it to length. The client hides its own credentials itself.
   * Default: none (the text is kept as it is). A CLI holding a Redactor passes `(text) => redactor.redact(text)`.
   */
  redact?: (text: string) => string;
  /** Sent as User-Agent. Default: "qcs-export/<version>". */
  userAgent?: string;
  /**
   * How error messages name a setting to change. The client's errors carry the setting as `setting` (its neutral
   * name) and write it into their hint with this function, so a front end whose settings have other names (a
   * config file's paths) has its own names in the messages. Default: the neutral name itself.
   */
  settingName?: (setting: QualysSetting) => string;
}

export interface QualysResponse<T = unknown> {
  status: number;
  /** Parsed JSON; null for 204 No Content (Qualys' "no results"). */
  body: T | null;
  /** Lower-cased header names. */
  headers: Record<string, string | undefined>;
}

export interface RequestOptions {
  signal?: AbortSignal;
}

/** What the runner prints in its summary. */
export interface ClientStats {
  requests: number;
  retries: number;
  /**
   * Times a call waited because the server said the rate budget was spent: after its 429/409, or while a 429/409, or a
   * Remaining=0 answer with another client's calls in the count, held the budget closed. (A Remaining of 0 that our own
   * calls account for is paced by the governor's log, and counted as a throttle wait.)
   */
  rateLimitWaits: number;
  rateLimitWaitMs: number;
  /**
   * Times a call waited before it was sent because our own pacing said the budget was used (no server hint in
   * force), including the wait for the first answer of a budget, which tells its real limit.
   */
  throttleWaits: number;
  throttleWaitMs: number;
  /** 429 answers received; with the rate governor this stays 0 unless another tool takes the budget by surprise. */
  status429: number;
  /** HTTP requests per rate budget: 'list', 'images', 'other' (paths outside /csapi) and 'auth' (logins). */
  requestsByBucket: Record<string, number>;
  /** HTTP requests per endpoint, e.g. "GET /csapi/v1.3/images/{sha}" (an image's sha is written {sha}). */
  requestsByEndpoint: Record<string, number>;
  authRenewals: number;
  bytesReceived: number;
}

/** The one capability the image source needs; QualysClient implements it, tests may fake it. */
export interface QualysGetter {
  get<T = unknown>(path: string, query?: Record<string, string | number | undefined>, options?: RequestOptions): Promise<QualysResponse<T>>;
}
