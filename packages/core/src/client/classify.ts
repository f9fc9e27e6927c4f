import { FilterRejectedError, ForbiddenError, HttpError, ProtocolError, RateLimitError, type QcsError } from '../errors.js';
import { printable, serverMessage, type RawResponse, type Redact } from './answer-text.js';
import { credentialsRefused, freshTokenRefused } from './auth-messages.js';
import { parseJsonExact } from './exact-json.js';
import type { QualysAuth, QualysSetting } from './types.js';
import { serverRequestedWaitMs } from './wait.js';

/**
 * Statuses worth another attempt with backoff: the gateway or the service failed for the moment. 429 and 409 are
 * not among them: they are rate or concurrency limits, answered by waiting ('wait'), not by the retry budget.
 */
export const TRANSIENT_STATUS: ReadonlySet<number> = new Set([500, 502, 503, 504]);

/** What the client does with one answer to an API call (GET). */
export type ResponseAction =
  /**
   * Done: the parsed JSON body, or null for 204 and for an empty 2xx body. `exactIntegerKeys`: the keys whose values
   * held integers beyond 2^53, kept as strings of their digits (see parseJsonExact); absent when there were none.
   */
  | { kind: 'ok'; body: unknown; exactIntegerKeys?: string[] }
  /** A transient failure: try again after a backoff, using the retry budget; `reason` is thrown once it is spent. */
  | { kind: 'retry'; reason: QcsError }
  /**
   * A rate or concurrency limit (429, 409): wait, then try again without using the retry budget. `ms` is what the
   * server asked for (X-RateLimit-ToWait-Sec, Retry-After); undefined when it did not say, and the caller backs off.
   */
  | { kind: 'wait'; ms: number | undefined }
  /** A JWT refused (401): log in again, unless another call already did, then try again at once. */
  | { kind: 'renew-auth' }
  /** Nothing more to try: throw `error`. */
  | { kind: 'fail'; error: QcsError };

/** Where one call stands when an answer comes: counts of what happened before this answer, and this attempt's token. */
export interface CallState {
  /** How the client authenticates: only a JWT can be renewed after a 401. */
  auth: QualysAuth['kind'];
  /** Logins this call has triggered after 401s. */
  renewals: number;
  /** 401s this call got, before this answer, for tokens issued after the call began. */
  freshTokensRefused: number;
  /** This attempt used a token issued after the call began. */
  tokenWasFresh: boolean;
  /** Rate-limit waits this call has made. */
  rateWaits: number;
}

/** The call and the client's limits: fixed for the whole call. */
export interface ClassifyPolicy {
  /** "GET /path", for messages. */
  what: string;
  path: string;
  /** Logins one call may trigger after 401s. */
  maxRenewals: number;
  /** Rate-limit waits one call may make. */
  maxRateLimitWaits: number;
  /** Longest wait the server may ask for. */
  maxServerWaitMs: number;
  redact: Redact;
  settingName: (setting: QualysSetting) => string;
  /** The clock for a Retry-After given as an HTTP date. Default: Date.now(). */
  now?: number;
}

/**
 * The client's whole status policy for an API call, as a pure function: from the answer (status, headers, body)
 * and the call's state to what to do next. It changes nothing: the caller counts renewals and waits and sleeps.
 *
 *   500/502/503/504            → retry
 *   401, fixed token or Basic  → fail (AuthError: nothing to renew)
 *   401, JWT                   → renew-auth, or fail (AuthError) after maxRenewals logins
 *   429/409                    → wait, or fail (RateLimitError) when the server asks for longer than maxServerWaitMs
 *                                or the call has already waited maxRateLimitWaits times
 *   204, or 2xx with no body   → ok, body null
 *   2xx                        → ok with the parsed JSON (integers beyond 2^53 as strings of their exact digits),
 *                                or retry (ProtocolError) when it is not JSON
 *   400                        → fail (FilterRejectedError)
 *   403                        → fail (ForbiddenError)
 *   anything else (404, 3xx…)  → fail (HttpError)
 */
export function classifyResponse(res: RawResponse, call: CallState, policy: ClassifyPolicy): ResponseAction {
  const { status } = res;
  if (TRANSIENT_STATUS.has(status)) return { kind: 'retry', reason: statusError(policy.what, res, policy.redact, policy.settingName) };
  if (status === 401) {
    if (call.auth !== 'jwt') return { kind: 'fail', error: credentialsRefused(call.auth, res, policy.redact) };
    if (call.renewals >= policy.maxRenewals) {
      const refused = call.freshTokensRefused + (call.tokenWasFresh ? 1 : 0);
      return { kind: 'fail', error: freshTokenRefused(policy.path, refused, res, policy.redact, policy.settingName) };
    }
    return { kind: 'renew-auth' };
  }
  if (status === 429 || status === 409) {
    const asked = serverRequestedWaitMs(res.headers, policy.now);
    if (asked !== undefined && asked > policy.maxServerWaitMs) {
      return {
        kind: 'fail',
        error: new RateLimitError(
          `Qualys asked to wait ${Math.ceil(asked / 1000)} s before the next call to ${policy.path}, ` +
            `longer than the ${Math.round(policy.maxServerWaitMs / 1000)} s allowed; ` +
            "another tool may be using the subscription's rate budget. Try again later.",
        ),
      };
    }
    if (call.rateWaits >= policy.maxRateLimitWaits) {
      return {
        kind: 'fail',
        error: new RateLimitError(`Qualys kept answering ${status} (rate or concurrency limit) for ${policy.path} after ${policy.maxRateLimitWaits} waits;`, {
          setting: 'concurrency',
          hint: `try again later or lower ${policy.settingName('concurrency')}.`,
        }),
      };
    }
    return { kind: 'wait', ms: asked };
  }
  if (status === 204) return { kind: 'ok', body: null };
  if (status >= 200 && status < 300) {
    if (res.text.trim() === '') return { kind: 'ok', body: null };
    try {
      const keys = new Set<string>();
      const body = parseJsonExact(res.text, (key) => keys.add(key));
      return keys.size === 0 ? { kind: 'ok', body } : { kind: 'ok', body, exactIntegerKeys: [...keys] };
    } catch {
      return {
        kind: 'retry',
        reason: new ProtocolError(
          `${policy.what}: the server did not return JSON (content-type ${res.headers['content-type'] ?? 'none'}, ` +
            `body starts "${printable(res.text, 100, policy.redact)}");`,
          { setting: 'baseUrl', hint: `check that ${policy.settingName('baseUrl')} points at the Qualys gateway` },
        ),
      };
    }
  }
  return { kind: 'fail', error: statusError(policy.what, res, policy.redact, policy.settingName) };
}

/** The error for a status the client cannot recover from, quoting what the server said. */
export function statusError(what: string, res: RawResponse, redact: Redact, name: (setting: QualysSetting) => string): QcsError {
  const message = serverMessage(res, redact);
  const said = message ? `: ${message}` : '';
  if (res.status === 400) {
    return new FilterRejectedError(`Qualys rejected the request (400${said}).`, {
      setting: 'filter',
      hint: `Check ${name('filter')} (QQL syntax) and ${name('pageSize')}.`,
    });
  }
  if (res.status === 403) {
    return new ForbiddenError(
      `Qualys refused access to ${what.replace(/^\w+ /, '')} (403${said}). ` +
        'The user needs Container Security API permissions (e.g. CS.IMAGE.VIEW) and the images in its scope.',
    );
  }
  return new HttpError(res.status, `${what} failed with HTTP ${res.status}${said}`);
}
