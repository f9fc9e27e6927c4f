import { readFileSync } from 'node:fs';
import { rootCertificates } from 'node:tls';
import { Agent, EnvHttpProxyAgent, type Dispatcher } from 'undici';
import { AbortedError, ProtocolError } from '../errors.js';
import { Redactor, silentLogger, type Logger } from '../logger.js';
import { registerCredentials } from '../secret-fields.js';
import { backoffDelay } from '../retry/backoff.js';
import { printable, type RawResponse, type Redact } from './answer-text.js';
import { Credentials } from './auth.js';
import { loginRefused } from './auth-messages.js';
import { classifyResponse, statusError, TRANSIENT_STATUS, type ClassifyPolicy } from './classify.js';
import { CLIENT_DEFAULTS } from './defaults.js';
import { exchange, type ExchangeContext, type ExchangeInit } from './exchange.js';
import { looksLikeJwt } from './jwt.js';
import { proxyEnvOf, proxyFor } from './proxy-env.js';
import { RateGovernor, type Slot } from './rate-governor.js';
import { RETRY_NOW, Retryable } from './retryable.js';
import type { ClientStats, QualysAuth, QualysClientOptions, QualysGetter, QualysResponse, QualysSetting, RequestOptions, RetryOptions } from './types.js';
import { assertSecureUrl } from './url-policy.js';
import { tlsVerificationDisabled } from './tls-verification.js';
import { sleep } from './wait.js';

const DEFAULT_RETRY: RetryOptions = { maxRetries: CLIENT_DEFAULTS.maxRetries, baseDelayMs: 500, maxDelayMs: 30_000, maxServerWaitMs: 300_000 };
const DEFAULT_REQUEST_TIMEOUT_MS = CLIENT_DEFAULTS.requestTimeoutMs;
/** Rate-limit waits on one call before giving up: they do not use the ordinary retry budget. */
const MAX_RATE_LIMIT_WAITS = 20;
/**
 * Logins one call may trigger after 401s. One is not enough: when the latency of a call (rate waits, a slow
 * answer) exceeds the token's life, a fresh token can expire before it is used, so one more try is worth it.
 */
const MAX_RENEWALS_PER_CALL = 2;

/**
 * The Qualys CS API over undici: its own dispatcher (never the global one), explicit timeouts, auth, retries
 * with backoff for transient failures, and a rate governor that paces calls so the rate limit is not hit. Every
 * error it throws is a QcsError whose message says what to do and never contains a credential.
 */
export class QualysClient implements QualysGetter {
  readonly stats: ClientStats = {
    requests: 0,
    retries: 0,
    rateLimitWaits: 0,
    rateLimitWaitMs: 0,
    throttleWaits: 0,
    throttleWaitMs: 0,
    status429: 0,
    requestsByBucket: {},
    requestsByEndpoint: {},
    authRenewals: 0,
    bytesReceived: 0,
  };
  private readonly base: URL;
  private readonly http: ExchangeContext;
  private readonly retry: RetryOptions;
  private readonly logger: Logger;
  private readonly userAgent: string;
  private readonly auth: QualysAuth;
  private readonly credentials: Credentials;
  private readonly governor: RateGovernor;
  /** This client's credentials, JWTs included as they are issued: hidden even when the caller passes no `redact`. */
  private readonly ownSecrets: Redactor;
  /** Applied to server text and error messages before they are cut, never after: see printable(). */
  private readonly redact: Redact;
  /** How error messages name a setting: QualysClientOptions.settingName. */
  private readonly settingName: (setting: QualysSetting) => string;
  /** Keys already reported as holding integers beyond 2^53: one warning per key and run. */
  private readonly exactIntegerKeys = new Set<string>();

  constructor(options: QualysClientOptions) {
    this.settingName = options.settingName ?? ((setting) => setting);
    this.base = assertSecureUrl(options.baseUrl, this.settingName('baseUrl'));
    this.retry = { ...DEFAULT_RETRY, ...options.retry };
    this.logger = options.logger ?? silentLogger;
    this.userAgent = options.userAgent ?? 'qcs-export';
    this.http = {
      dispatcher: createDispatcher(options),
      host: this.base.host,
      deadlineMs: options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS,
      settingName: this.settingName,
      maxResponseBytes: options.maxResponseBytes ?? CLIENT_DEFAULTS.maxResponseBytes,
    };
    if (tlsVerificationDisabled()) {
      this.logger.warn(
        'NODE_TLS_REJECT_UNAUTHORIZED=0 is set: TLS certificates are not checked on any connection of this process, the Qualys API included, ' +
          'so anyone on the network path can read the credentials and the data. Unset it; trust a private CA with ' +
          `${this.settingName('tlsCaFile')} or NODE_EXTRA_CA_CERTS instead.`,
      );
    }
    this.auth = options.auth;
    this.credentials = new Credentials(options.auth, options.tokenRenewBeforeMs ?? 300_000, (signal) => this.login(signal));
    this.governor = new RateGovernor({ logger: this.logger, maxBlockMs: this.retry.maxServerWaitMs });
    this.ownSecrets = redactorFor(options.auth);
    const callers = options.redact ?? ((text: string) => text);
    this.redact = (text) => callers(this.ownSecrets.redact(text));
  }

  /**
   * One API call. Every attempt (headers and body) ends within requestTimeoutMs, so the worst case of one get() is
   *   attempts × requestTimeoutMs, with attempts ≤ (maxRetries + 1) + MAX_RATE_LIMIT_WAITS + MAX_RENEWALS_PER_CALL
   *   + backoffs between retries, ≤ maxRetries × maxDelayMs
   *   + waits the server asks for (429/409), ≤ MAX_RATE_LIMIT_WAITS × maxServerWaitMs
   *   + logins (at most one per attempt), each up to (maxRetries + 1) × requestTimeoutMs plus its own backoffs
   *   + rate-governor waits before each attempt: a server block (≤ maxServerWaitMs), or pacing, which is about one
   *     window per `limit` calls queued ahead of this one.
   * With the defaults that is hours, not for ever: the bounds exist so a dead server cannot hang the run.
   */
  async get<T = unknown>(path: string, query: Record<string, string | number | undefined> = {}, options: RequestOptions = {}): Promise<QualysResponse<T>> {
    const url = this.url(path, query);
    const bucket = RateGovernor.bucketOf(path);
    const what = `GET ${path}`;
    const signal = options.signal;
    const startedAt = Date.now();
    let renewals = 0;
    let freshTokensRefused = 0;
    let rateWaits = 0;
    let justWaitedForServer = false;
    const policy: ClassifyPolicy = {
      what,
      path,
      maxRenewals: MAX_RENEWALS_PER_CALL,
      maxRateLimitWaits: MAX_RATE_LIMIT_WAITS,
      maxServerWaitMs: this.retry.maxServerWaitMs,
      redact: this.redact,
      settingName: this.settingName,
    };
    return this.withRetries(what, signal, async () => {
      const slot = await this.governor.acquire(bucket, signal);
      this.countGovernorWait(slot, justWaitedForServer);
      justWaitedForServer = false;
      let sent = false;
      let answer: RawResponse | undefined;
      let usedJwt: string | undefined;
      let usedJwtIssuedAt: number | undefined;
      try {
        const authorization = await this.credentials.header(signal);
        usedJwt = this.credentials.currentJwt();
        usedJwtIssuedAt = this.credentials.currentJwtIssuedAt();
        this.governor.markSent(slot);
        sent = true;
        answer = await this.send(
          what,
          bucket,
          url,
          { method: 'GET', headers: { accept: 'application/json', authorization, 'user-agent': this.userAgent } },
          signal,
        );
      } finally {
        // Whatever happened: the first call of a bucket holds the others back until it is settled or released.
        if (sent) this.governor.settle(slot, answer);
        else this.governor.release(slot);
      }
      const res = answer;
      const tokenWasFresh = usedJwtIssuedAt !== undefined && usedJwtIssuedAt >= startedAt;
      const action = classifyResponse(res, { auth: this.auth.kind, renewals, freshTokensRefused, tokenWasFresh, rateWaits }, policy);
      switch (action.kind) {
        case 'ok':
          if (action.exactIntegerKeys) this.tellExactIntegers(path, action.exactIntegerKeys);
          return { status: res.status, body: action.body as T | null, headers: res.headers };
        case 'retry':
          throw new Retryable(action.reason);
        case 'fail':
          throw action.error;
        case 'renew-auth':
          renewals++;
          if (tokenWasFresh) freshTokensRefused++;
          // Another call may already have renewed the token this one used; only log in if it is still current.
          // A refused login throws its own AuthError (username/password), which is then the true cause.
          if (this.credentials.currentJwt() === usedJwt) {
            this.logger.info('Qualys refused the token (401); logging in again');
            await this.credentials.renew(signal);
          }
          return RETRY_NOW;
        case 'wait': {
          rateWaits++;
          // When Qualys said how long, the governor has closed the bucket for that long too, holding back the other
          // calls; this call waits here either way, and classifyResponse bounds how often and how long.
          const wait = action.ms ?? backoffDelay(rateWaits, this.retry.baseDelayMs, this.retry.maxDelayMs);
          this.stats.rateLimitWaits++;
          this.stats.rateLimitWaitMs += wait;
          this.logger.info(`Qualys rate limit reached (${res.status}); waiting ${(wait / 1000).toFixed(1)} s`, { path });
          await sleep(wait, signal);
          justWaitedForServer = true;
          return RETRY_NOW;
        }
      }
    });
  }

  async close(): Promise<void> {
    await this.http.dispatcher.close();
  }

  private async login(signal?: AbortSignal): Promise<string> {
    if (this.auth.kind !== 'jwt') throw new Error('login needs JWT credentials');
    if (this.credentials.logins > 0) this.stats.authRenewals++;
    const { username, password } = this.auth;
    const body = new URLSearchParams({ username, password, token: 'true', permissions: 'true' }).toString();
    const url = this.url('/auth', {});
    return this.withRetries('POST /auth', signal, async () => {
      const res = await this.send(
        'POST /auth',
        'auth',
        url,
        {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'text/plain, application/json', 'user-agent': this.userAgent },
          body,
        },
        signal,
      );
      if (TRANSIENT_STATUS.has(res.status)) throw new Retryable(statusError('POST /auth', res, this.redact, this.settingName));
      if (res.status === 200 || res.status === 201) {
        const token = res.text.trim();
        if (!looksLikeJwt(token)) {
          throw new ProtocolError(`POST /auth answered ${res.status} but the body is not a JWT (starts "${printable(token, 40, this.redact)}");`, {
            setting: 'baseUrl',
            hint: `check that ${this.settingName('baseUrl')} is the Qualys gateway (gateway.<platform>.apps.qualys.com), not the API server`,
          });
        }
        // Every token ever issued, not only the current one: a server may echo an older one in a later answer.
        this.ownSecrets.add(token);
        return token;
      }
      if (res.status === 401 || res.status === 403 || res.status === 400) throw loginRefused(res, this.redact, this.settingName);
      throw statusError('POST /auth', res, this.redact, this.settingName);
    });
  }

  /**
   * Says once per key that its integers beyond 2^53 are written as strings of their digits: exact, but a field Qualys
   * sends as a number may then be a string in some records, which whoever reads the output should know.
   */
  private tellExactIntegers(path: string, keys: readonly string[]): void {
    for (const key of keys) {
      if (this.exactIntegerKeys.has(key)) continue;
      this.exactIntegerKeys.add(key);
      this.logger.warn(
        `${path}: field "${printable(key, 80, this.redact)}" holds integers beyond 2^53, more than a JSON number keeps exactly; ` +
          'they are written as strings of their exact digits (a known numeric field is left empty and keeps the digits in extra).',
      );
    }
  }

  /** Runs one attempt at a time; retries transient failures with backoff, up to maxRetries. */
  private async withRetries<R>(what: string, signal: AbortSignal | undefined, attempt: () => Promise<R | typeof RETRY_NOW>): Promise<R> {
    let retries = 0;
    for (;;) {
      if (signal?.aborted) throw new AbortedError();
      try {
        const result = await attempt();
        if (result !== RETRY_NOW) return result;
      } catch (error) {
        if (!(error instanceof Retryable)) throw error;
        if (retries >= this.retry.maxRetries) throw error.final;
        retries++;
        this.stats.retries++;
        const delay = backoffDelay(retries, this.retry.baseDelayMs, this.retry.maxDelayMs);
        // Redacted before the cut: the logger's own redaction comes too late for a secret the cut has split.
        this.logger.warn(`${what} failed (${this.redact(error.message).slice(0, 160)}); retry ${retries}/${this.retry.maxRetries} in ${delay} ms`);
        await sleep(delay, signal);
      }
    }
  }

  /**
   * Books a wait in the governor: pacing by our own log is a throttle wait; a wait while the server had closed
   * the bucket is a rate-limit wait, unless this call has just waited (and counted) the server's request itself.
   */
  private countGovernorWait(slot: Slot, justWaitedForServer: boolean): void {
    const ms = Math.round(slot.waitedMs);
    if (ms <= 0) return;
    if (!slot.serverAsked) {
      this.stats.throttleWaits++;
      this.stats.throttleWaitMs += ms;
    } else if (!justWaitedForServer) {
      this.stats.rateLimitWaits++;
      this.stats.rateLimitWaitMs += ms;
    }
  }

  /** One HTTP exchange, counted; see exchange() for what it throws. */
  private async send(what: string, bucket: string, url: URL, init: ExchangeInit, signal?: AbortSignal): Promise<RawResponse> {
    this.stats.requests++;
    this.stats.requestsByBucket[bucket] = (this.stats.requestsByBucket[bucket] ?? 0) + 1;
    const endpoint = endpointOf(init.method, url.pathname);
    this.stats.requestsByEndpoint[endpoint] = (this.stats.requestsByEndpoint[endpoint] ?? 0) + 1;
    const started = performance.now();
    const target = `${init.method} ${url.pathname}${readableQuery(url)}`;
    let res: RawResponse;
    try {
      res = await exchange(this.http, what, url, init, signal);
    } catch (error) {
      this.logger.debug(this.redact(`${target} failed after ${Math.round(performance.now() - started)} ms: ${(error as Error).message}`));
      throw error;
    }
    // Method, path and query, status and time, for --log-level debug; headers and bodies (credentials) never.
    this.logger.debug(this.redact(`${target} → ${res.status} in ${Math.round(performance.now() - started)} ms (${Buffer.byteLength(res.text)} bytes)`));
    this.stats.bytesReceived += Buffer.byteLength(res.text);
    if (res.status === 429) this.stats.status429++;
    return res;
  }

  private url(path: string, query: Record<string, string | number | undefined>): URL {
    const url = new URL(this.base.href.replace(/\/+$/, '') + path);
    for (const [k, v] of Object.entries(query)) if (v !== undefined) url.searchParams.set(k, String(v));
    return url;
  }
}

/** The query as a person reads it in a debug line (a QQL filter with its quotes and brackets), percent-decoded. */
function readableQuery(url: URL): string {
  try {
    return decodeURIComponent(url.search.replace(/\+/g, ' '));
  } catch {
    return url.search;
  }
}

/** Knows this client's own credentials in every form they are sent in: the Bearer token, the Basic header, the form-encoded password. */
function redactorFor(auth: QualysAuth): Redactor {
  const redactor = new Redactor();
  registerCredentials(redactor, auth);
  return redactor;
}

/** Response headers accepted in all: room for a Link header naming 20,000 uuids. */
const MAX_HEADER_BYTES = 1024 * 1024;

function createDispatcher(options: QualysClientOptions): Dispatcher {
  const ca = options.ca === undefined ? undefined : trustedCas(options.ca);
  const timeouts = {
    connect: { timeout: options.connectTimeoutMs ?? CLIENT_DEFAULTS.connectTimeoutMs, ...(ca === undefined ? {} : { ca }) },
    headersTimeout: options.headersTimeoutMs ?? CLIENT_DEFAULTS.headersTimeoutMs,
    bodyTimeout: options.bodyTimeoutMs ?? CLIENT_DEFAULTS.bodyTimeoutMs,
    // The bulk API's Link header lists every uuid at the cursor's `updated` value; a rescan that stamps thousands
    // of images with one time makes it far longer than undici's 16 KiB default allows.
    maxHeaderSize: MAX_HEADER_BYTES,
  };
  const env = options.env ?? process.env;
  // The one rule both sides of a run follow (the Elasticsearch sink reads it too): lower-case names win, an empty
  // value is unset, and a loopback gateway (the simulator, an SSH tunnel) is reached directly, never through a proxy.
  if (proxyFor(options.baseUrl, env) === undefined) return new Agent(timeouts);
  const { httpsProxy, httpProxy, noProxy } = proxyEnvOf(env);
  // Through a proxy, the TLS to Qualys runs inside the tunnel (requestTls), and an https:// proxy has its own (proxyTls).
  const tls = ca === undefined ? {} : { requestTls: { ca }, proxyTls: { ca } };
  return new EnvHttpProxyAgent({ ...timeouts, ...tls, ...(httpsProxy ? { httpsProxy } : {}), ...(httpProxy ? { httpProxy } : {}), noProxy });
}

/**
 * A `ca` given to a TLS connection replaces Node's trust store instead of adding to it, so the store is given too:
 * Node's bundled roots, and the file NODE_EXTRA_CA_CERTS names, which Node would otherwise have added itself.
 */
function trustedCas(pem: string): string[] {
  const extraFile = process.env['NODE_EXTRA_CA_CERTS'];
  let extra: string[] = [];
  if (extraFile) {
    try {
      extra = [readFileSync(extraFile, 'utf8')];
    } catch {
      // Node has already warned at start-up that it could not read this file, and ignores it: so does this.
    }
  }
  return [...rootCertificates, ...extra, pem];
}

/** A request's endpoint for the statistics: method and path, an image's sha written as {sha}, so the keys stay few. */
export function endpointOf(method: string, pathname: string): string {
  // A sha with or without its "sha256:" prefix (encoded in a path as sha256%3A).
  return `${method} ${pathname.replace(/\/images\/(?:sha256%3A)?[0-9a-fA-F]{12,}(?=\/|$)/i, '/images/{sha}')}`;
}
