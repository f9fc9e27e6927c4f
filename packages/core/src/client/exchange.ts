import { request, type Dispatcher } from 'undici';
import { AbortedError, NetworkError, ProtocolError, TimeoutError } from '../errors.js';
import type { RawResponse } from './answer-text.js';
import type { QualysSetting } from './types.js';
import { attemptSignal } from './deadline.js';
import { readCapped } from './capped-body.js';
import { Retryable } from './retryable.js';
import { certificateError } from './tls-errors.js';

export interface ExchangeInit {
  method: 'GET' | 'POST';
  headers: Record<string, string>;
  body?: string;
}

export interface ExchangeContext {
  dispatcher: Dispatcher;
  /** For messages: the host, never the full URL (a query may carry a filter worth keeping out of logs). */
  host: string;
  /** The whole attempt, headers and body, must finish within this. */
  deadlineMs: number;
  /** How messages name a setting (QualysClientOptions.settingName). */
  settingName: (setting: QualysSetting) => string;
  /** The largest body accepted (QualysClientOptions.maxResponseBytes). */
  maxResponseBytes: number;
}

/**
 * One HTTP exchange with the body fully read, under an overall deadline. undici's headersTimeout and bodyTimeout
 * only bound each silence, so a body that trickles a few bytes at a time would otherwise never end. Returns the
 * answer whatever its status; transport failures and the deadline become Retryable, a caller abort AbortedError.
 */
export async function exchange(ctx: ExchangeContext, what: string, url: URL, init: ExchangeInit, signal?: AbortSignal): Promise<RawResponse> {
  if (signal?.aborted) throw new AbortedError();
  const attempt = attemptSignal(signal, ctx.deadlineMs);
  try {
    const res = await request(url, { ...init, dispatcher: ctx.dispatcher, signal: attempt.signal });
    const text = await readCapped(res.body, res.headers['content-length'], ctx.maxResponseBytes, (declared) => tooLarge(what, ctx, declared));
    const headers: Record<string, string | undefined> = {};
    for (const [k, v] of Object.entries(res.headers)) headers[k.toLowerCase()] = Array.isArray(v) ? v.join(', ') : v;
    return { status: res.statusCode, headers, text };
  } catch (error) {
    // The caller's abort wins over the deadline: an interrupted run is not a slow server.
    if (signal?.aborted) throw new AbortedError();
    // An answer over the cap would be as large the next time: not worth another attempt.
    if (error instanceof ProtocolError) throw error;
    if (attempt.timedOut) throw new Retryable(tooSlow(what, ctx, error));
    const code = (error as { code?: string }).code;
    // The client itself was closed (the run is ending): retrying cannot help and would only delay the exit.
    if (code === 'UND_ERR_CLOSED' || code === 'UND_ERR_DESTROYED') throw new AbortedError(`${what}: the client was closed`);
    // A certificate this process does not trust fails the same way on every attempt.
    const untrusted = certificateError(what, ctx.host, error, ctx.settingName);
    if (untrusted) throw untrusted;
    throw new Retryable(transportError(what, ctx, error));
  } finally {
    attempt.dispose();
  }
}

function tooSlow(what: string, ctx: ExchangeContext, cause: unknown): TimeoutError {
  const limit = ctx.deadlineMs >= 1000 ? `${ctx.deadlineMs / 1000} s` : `${ctx.deadlineMs} ms`;
  return new TimeoutError(
    `${what}: ${ctx.host} sent the answer too slowly: it was not complete within ${limit}, the limit for one request (headers and body).`,
    {
      cause,
      setting: 'requestTimeoutMs',
      hint:
        'The server or the network may be overloaded; if answers this large legitimately take longer, ' +
        `raise ${ctx.settingName('requestTimeoutMs')} (now ${ctx.deadlineMs}).`,
    },
  );
}

/** `what` names the endpoint by method and path only: the query (a filter, a cursor) has no place in the message. */
function tooLarge(what: string, ctx: ExchangeContext, declared: number | undefined): ProtocolError {
  const cap = `${formatBytes(ctx.maxResponseBytes)} (${ctx.maxResponseBytes} bytes)`;
  const size =
    declared === undefined
      ? `went on past ${cap}, the most one answer may hold;`
      : `declared ${formatBytes(declared)} (Content-Length ${declared}), more than the ${cap} one answer may hold;`;
  return new ProtocolError(`${what}: the answer from ${ctx.host} ${size}`, {
    setting: 'maxResponseBytes',
    hint:
      `if answers this large are expected (images with many thousands of findings), raise ${ctx.settingName('maxResponseBytes')}; ` +
      'otherwise something between this machine and Qualys (a proxy, a captive portal) may be sending something else.',
  });
}

function formatBytes(n: number): string {
  if (n >= 1024 * 1024) return `${Math.round((n / (1024 * 1024)) * 10) / 10} MiB`;
  if (n >= 1024) return `${Math.round((n / 1024) * 10) / 10} KiB`;
  return `${n} bytes`;
}

function transportError(what: string, ctx: ExchangeContext, error: unknown): Error {
  const code = (error as { code?: string }).code ?? '';
  const reason = error instanceof Error ? error.message : String(error);
  if (code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT' || code === 'UND_ERR_CONNECT_TIMEOUT' || code === 'ETIMEDOUT') {
    return new TimeoutError(`${what}: ${ctx.host} did not answer in time (${code});`, {
      cause: error,
      setting: 'timeouts',
      hint: `the server may be overloaded, or raise ${ctx.settingName('timeouts')}`,
    });
  }
  return new NetworkError(`${what}: connection to ${ctx.host} failed (${code || reason});`, {
    cause: error,
    setting: 'baseUrl',
    hint: `check ${ctx.settingName('baseUrl')}, the network and any proxy (HTTPS_PROXY/NO_PROXY)`,
  });
}
