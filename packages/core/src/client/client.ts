import { Agent, EnvHttpProxyAgent, request, type Dispatcher } from 'undici';
import {
  AbortedError,
  AuthError,
  FilterRejectedError,
  ForbiddenError,
  HttpError,
  NetworkError,
  ProtocolError,
  RateLimitError,
  TimeoutError,
} from '../errors.js';
import { silentLogger, type Logger } from '../logger.js';
import { Credentials } from './auth.js';
import { looksLikeJwt } from './jwt.js';
import { RateBudget } from './rate-budget.js';
import type { ClientStats, QualysAuth, QualysClientOptions, QualysGetter, QualysResponse, RequestOptions, RetryOptions } from './types.js';
import { assertSecureUrl } from './url-policy.js';
import { backoffDelay, serverRequestedWaitMs, sleep } from './wait.js';

const DEFAULT_RETRY: RetryOptions = { maxRetries: 6, baseDelayMs: 500, maxDelayMs: 30_000, maxServerWaitMs: 300_000 };
/** Rate-limit waits on one call before giving up: they do not use the ordinary retry budget. */
const MAX_RATE_LIMIT_WAITS = 20;
const RETRYABLE_STATUS = new Set([409, 429, 500, 502, 503, 504]);

interface RawResponse {
  status: number;
  headers: Record<string, string | undefined>;
  text: string;
}

/** A failure worth another attempt; `final` is what to throw once the retries are spent. */
class Retryable extends Error {
  constructor(readonly final: Error) {
    super(final.message);
  }
}

/**
 * The Qualys CS API over undici: its own dispatcher (never the global one), explicit timeouts, auth, retries
 * with backoff for transient failures, and rate-limit waits. Every error it throws is a QcsError whose message
 * says what to do and never contains a credential.
 */
export class QualysClient implements QualysGetter {
  readonly stats: ClientStats = { requests: 0, retries: 0, rateLimitWaits: 0, rateLimitWaitMs: 0, authRenewals: 0, bytesReceived: 0 };
  private readonly base: URL;
  private readonly dispatcher: Dispatcher;
  private readonly retry: RetryOptions;
  private readonly logger: Logger;
  private readonly userAgent: string;
  private readonly auth: QualysAuth;
  private readonly credentials: Credentials;
  private readonly budget = new RateBudget();

  constructor(options: QualysClientOptions) {
    this.base = assertSecureUrl(options.baseUrl, 'source.baseUrl');
    this.retry = { ...DEFAULT_RETRY, ...options.retry };
    this.logger = options.logger ?? silentLogger;
    this.userAgent = options.userAgent ?? 'qcs-export';
    this.dispatcher = createDispatcher(options);
    this.auth = options.auth;
    this.credentials = new Credentials(options.auth, options.tokenRenewBeforeMs ?? 300_000, (signal) => this.login(signal));
  }

  async get<T = unknown>(path: string, query: Record<string, string | number | undefined> = {}, options: RequestOptions = {}): Promise<QualysResponse<T>> {
    const url = this.url(path, query);
    const bucket = RateBudget.bucketOf(path);
    const what = `GET ${path}`;
    let renewed = false;
    let rateWaits = 0;
    return this.withRetries(what, options.signal, async () => {
      await this.waitForBudget(bucket, options.signal);
      const authorization = await this.credentials.header(options.signal);
      const usedJwt = this.credentials.currentJwt();
      const res = await this.send(what, url, { method: 'GET', headers: { accept: 'application/json', authorization, 'user-agent': this.userAgent } }, options.signal);
      this.budget.observe(bucket, res.headers);
      if (res.status === 401) {
        if (this.credentials.renewable && !renewed) {
          renewed = true;
          // Another call may already have renewed the token this one used; only log in if it is still current.
          if (this.credentials.currentJwt() === usedJwt) {
            this.logger.info('Qualys refused the token (401); logging in again');
            await this.credentials.renew(options.signal);
          }
          return RETRY_NOW;
        }
        throw this.authRefused(res);
      }
      if (res.status === 429 || res.status === 409) {
        const asked = serverRequestedWaitMs(res.headers);
        if (asked !== undefined && asked > this.retry.maxServerWaitMs) {
          throw new RateLimitError(`Qualys asked to wait ${Math.ceil(asked / 1000)} s before the next call to ${path}, longer than the ${Math.round(this.retry.maxServerWaitMs / 1000)} s allowed; another tool may be using the subscription's rate budget. Try again later.`);
        }
        if (++rateWaits > MAX_RATE_LIMIT_WAITS) {
          throw new RateLimitError(`Qualys kept answering ${res.status} (rate or concurrency limit) for ${path} after ${MAX_RATE_LIMIT_WAITS} waits; try again later or lower source.concurrency.`);
        }
        const wait = asked ?? backoffDelay(rateWaits, this.retry.baseDelayMs, this.retry.maxDelayMs);
        this.stats.rateLimitWaits++;
        this.stats.rateLimitWaitMs += wait;
        this.logger.info(`Qualys rate limit reached (${res.status}); waiting ${(wait / 1000).toFixed(1)} s`, { path });
        await sleep(wait, options.signal);
        return RETRY_NOW;
      }
      if (res.status === 204) return { status: 204, body: null, headers: res.headers };
      if (res.status >= 200 && res.status < 300) {
        if (res.text.trim() === '') return { status: res.status, body: null, headers: res.headers };
        try {
          return { status: res.status, body: JSON.parse(res.text) as T, headers: res.headers };
        } catch {
          throw new Retryable(
            new ProtocolError(
              `${what}: the server did not return JSON (content-type ${res.headers['content-type'] ?? 'none'}, body starts "${printable(res.text, 100)}"); check that source.baseUrl points at the Qualys gateway`,
            ),
          );
        }
      }
      throw this.statusError(what, res);
    });
  }

  async close(): Promise<void> {
    await this.dispatcher.close();
  }

  private async login(signal?: AbortSignal): Promise<string> {
    if (this.auth.kind !== 'jwt') throw new Error('login needs JWT credentials');
    if (this.credentials.logins > 0) this.stats.authRenewals++;
    const { username, password } = this.auth;
    const body = new URLSearchParams({ username, password, token: 'true', permissions: 'true' }).toString();
    const url = this.url('/auth', {});
    return this.withRetries('POST /auth', signal, async () => {
      const res = await this.send('POST /auth', url, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'text/plain, application/json', 'user-agent': this.userAgent },
        body,
      }, signal);
      if (res.status === 200 || res.status === 201) {
        const token = res.text.trim();
        if (!looksLikeJwt(token)) {
          throw new ProtocolError(`POST /auth answered ${res.status} but the body is not a JWT (starts "${printable(token, 40)}"); check that source.baseUrl is the Qualys gateway (gateway.<platform>.apps.qualys.com), not the API server`);
        }
        return token;
      }
      if (res.status === 401 || res.status === 403 || res.status === 400) {
        throw new AuthError(`Qualys refused the username/password (${res.status}${serverMessage(res) ? `: ${serverMessage(res)}` : ''}). Check QUALYS_USERNAME/QUALYS_PASSWORD, and that the user has API access and the Container Security module.`);
      }
      throw this.statusError('POST /auth', res);
    });
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
        this.logger.warn(`${what} failed (${error.message.slice(0, 160)}); retry ${retries}/${this.retry.maxRetries} in ${delay} ms`);
        await sleep(delay, signal);
      }
    }
  }

  private async waitForBudget(bucket: string, signal?: AbortSignal): Promise<void> {
    const wait = this.budget.waitFor(bucket);
    if (wait <= 0) return;
    this.stats.rateLimitWaits++;
    this.stats.rateLimitWaitMs += wait;
    this.logger.info(`Qualys rate budget spent for this window; waiting ${(wait / 1000).toFixed(1)} s before the next call`);
    await sleep(wait, signal);
  }

  /** One HTTP exchange, body fully read. Transport failures become Retryable with the error to throw at the end. */
  private async send(what: string, url: URL, init: { method: 'GET' | 'POST'; headers: Record<string, string>; body?: string }, signal?: AbortSignal): Promise<RawResponse> {
    this.stats.requests++;
    try {
      const res = await request(url, { ...init, dispatcher: this.dispatcher, signal });
      const text = await res.body.text();
      this.stats.bytesReceived += Buffer.byteLength(text);
      const headers: Record<string, string | undefined> = {};
      for (const [k, v] of Object.entries(res.headers)) headers[k.toLowerCase()] = Array.isArray(v) ? v.join(', ') : v;
      const out = { status: res.statusCode, headers, text };
      if (RETRYABLE_STATUS.has(out.status) && out.status !== 429 && out.status !== 409) {
        throw new Retryable(this.statusError(what, out));
      }
      return out;
    } catch (error) {
      if (error instanceof Retryable) throw error;
      if (signal?.aborted) throw new AbortedError();
      const code = (error as { code?: string }).code;
      // The client itself was closed (the run is ending): retrying cannot help and would only delay the exit.
      if (code === 'UND_ERR_CLOSED' || code === 'UND_ERR_DESTROYED') throw new AbortedError(`${what}: the client was closed`);
      throw new Retryable(transportError(what, this.base, error));
    }
  }

  private statusError(what: string, res: RawResponse): Error {
    const message = serverMessage(res);
    const said = message ? `: ${message}` : '';
    if (res.status === 400) return new FilterRejectedError(`Qualys rejected the request (400${said}). Check source.filter (QQL syntax) and source.pageSize.`);
    if (res.status === 403) return new ForbiddenError(`Qualys refused access to ${what.replace(/^\w+ /, '')} (403${said}). The user needs Container Security API permissions (e.g. CS.IMAGE.VIEW) and the images in its scope.`);
    if (res.status === 401) return this.authRefused(res);
    return new HttpError(res.status, `${what} failed with HTTP ${res.status}${said}`);
  }

  private authRefused(res: RawResponse): AuthError {
    const said = serverMessage(res) ? `: ${serverMessage(res)}` : '';
    const kind = this.auth.kind;
    const advice =
      kind === 'token'
        ? 'The token may have expired; generate a new one and set it again.'
        : kind === 'basic'
          ? 'Check the Basic auth username and password.'
          : 'A fresh login was refused too; check the user still has API access.';
    return new AuthError(`Qualys refused the credentials (401${said}). ${advice}`);
  }

  private url(path: string, query: Record<string, string | number | undefined>): URL {
    const url = new URL(this.base.href.replace(/\/+$/, '') + path);
    for (const [k, v] of Object.entries(query)) if (v !== undefined) url.searchParams.set(k, String(v));
    return url;
  }
}

const RETRY_NOW = Symbol('retry-now');

function createDispatcher(options: QualysClientOptions): Dispatcher {
  const timeouts = {
    connect: { timeout: options.connectTimeoutMs ?? 10_000 },
    headersTimeout: options.headersTimeoutMs ?? 60_000,
    bodyTimeout: options.bodyTimeoutMs ?? 60_000,
  };
  const env = options.env ?? process.env;
  const httpsProxy = env['https_proxy'] ?? env['HTTPS_PROXY'];
  const httpProxy = env['http_proxy'] ?? env['HTTP_PROXY'];
  if (httpsProxy || httpProxy) {
    return new EnvHttpProxyAgent({ ...timeouts, httpsProxy, httpProxy, noProxy: env['no_proxy'] ?? env['NO_PROXY'] ?? '' });
  }
  return new Agent(timeouts);
}

function transportError(what: string, base: URL, error: unknown): Error {
  const code = (error as { code?: string }).code ?? '';
  const reason = error instanceof Error ? error.message : String(error);
  if (code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT' || code === 'UND_ERR_CONNECT_TIMEOUT' || code === 'ETIMEDOUT') {
    return new TimeoutError(`${what}: ${base.host} did not answer in time (${code}); the server may be overloaded, or raise source.timeouts`, { cause: error });
  }
  return new NetworkError(`${what}: connection to ${base.host} failed (${code || reason}); check source.baseUrl, the network and any proxy (HTTPS_PROXY/NO_PROXY)`, { cause: error });
}

function serverMessage(res: RawResponse): string {
  const text = res.text.trim();
  if (text === '') return '';
  try {
    const body = JSON.parse(text) as { message?: unknown; errorCode?: unknown };
    if (typeof body.message === 'string') return printable(body.message, 300);
    if (typeof body.errorCode === 'string') return printable(body.errorCode, 300);
  } catch {
    // not JSON: quote the start of the text below
  }
  return printable(text, 300);
}

function printable(text: string, max: number): string {
  const flat = text.replace(/[\u0000-\u001f\u007f]+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max)}…` : flat;
}
