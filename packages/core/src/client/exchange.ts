import { request, type Dispatcher } from 'undici';
import { AbortedError, NetworkError, TimeoutError } from '../errors.js';
import type { RawResponse } from './answer-text.js';
import type { QualysSetting } from './types.js';
import { attemptSignal } from './deadline.js';
import { Retryable } from './retryable.js';

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
    const text = await res.body.text();
    const headers: Record<string, string | undefined> = {};
    for (const [k, v] of Object.entries(res.headers)) headers[k.toLowerCase()] = Array.isArray(v) ? v.join(', ') : v;
    return { status: res.statusCode, headers, text };
  } catch (error) {
    // The caller's abort wins over the deadline: an interrupted run is not a slow server.
    if (signal?.aborted) throw new AbortedError();
    if (attempt.timedOut) throw new Retryable(tooSlow(what, ctx, error));
    const code = (error as { code?: string }).code;
    // The client itself was closed (the run is ending): retrying cannot help and would only delay the exit.
    if (code === 'UND_ERR_CLOSED' || code === 'UND_ERR_DESTROYED') throw new AbortedError(`${what}: the client was closed`);
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
