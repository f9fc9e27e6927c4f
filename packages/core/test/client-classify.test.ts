import { describe, expect, it } from 'vitest';
import { AuthError, FilterRejectedError, ForbiddenError, HttpError, ProtocolError, RateLimitError, type QcsError } from '../src/index.js';
import type { RawResponse } from '../src/client/answer-text.js';
import { classifyResponse, TRANSIENT_STATUS, type CallState, type ClassifyPolicy, type ResponseAction } from '../src/client/classify.js';

const policy: ClassifyPolicy = {
  what: 'GET /csapi/v1.3/images',
  path: '/csapi/v1.3/images',
  maxRenewals: 2,
  maxRateLimitWaits: 20,
  maxServerWaitMs: 300_000,
  redact: (text) => text.replaceAll('hunter2', '***'),
  settingName: (setting) => setting,
};
const cli: ClassifyPolicy = { ...policy, settingName: (setting) => `source.${setting}` };
const fresh: CallState = Object.freeze({ auth: 'jwt', renewals: 0, freshTokensRefused: 0, tokenWasFresh: false, rateWaits: 0 });

function answer(status: number, body: unknown = '', headers: Record<string, string> = {}): RawResponse {
  return { status, headers: { 'content-type': 'application/json', ...headers }, text: typeof body === 'string' ? body : JSON.stringify(body) };
}

function failure(action: ResponseAction): QcsError {
  if (action.kind !== 'fail') throw new Error(`expected fail, got ${JSON.stringify(action)}`);
  return action.error;
}

function retryReason(action: ResponseAction): QcsError {
  if (action.kind !== 'retry') throw new Error(`expected retry, got ${JSON.stringify(action)}`);
  return action.reason;
}

describe('classifyResponse: one answer to a GET → what the client does next (issue 10, point 4)', () => {
  describe('2xx', () => {
    it('200 with JSON is ok, with the parsed body', () => {
      expect(classifyResponse(answer(200, { data: [1, 2] }), fresh, policy)).toEqual({ kind: 'ok', body: { data: [1, 2] } });
      expect(classifyResponse(answer(201, [1]), fresh, policy)).toEqual({ kind: 'ok', body: [1] });
    });

    it('204, and a 2xx with an empty or blank body, is ok with a null body', () => {
      expect(classifyResponse(answer(204), fresh, policy)).toEqual({ kind: 'ok', body: null });
      expect(classifyResponse(answer(204, 'ignored'), fresh, policy)).toEqual({ kind: 'ok', body: null });
      expect(classifyResponse(answer(200, ''), fresh, policy)).toEqual({ kind: 'ok', body: null });
      expect(classifyResponse(answer(200, ' \n'), fresh, policy)).toEqual({ kind: 'ok', body: null });
    });

    it('a 2xx that is not JSON is retried as a ProtocolError pointing at baseUrl, named as the caller names it', () => {
      const html = { ...answer(200, '<html>Gateway hunter2 error</html>'), headers: { 'content-type': 'text/html' } };
      const reason = retryReason(classifyResponse(html, fresh, policy));
      expect(reason).toBeInstanceOf(ProtocolError);
      expect(reason).toMatchObject({ setting: 'baseUrl', hint: 'check that baseUrl points at the Qualys gateway' });
      expect(reason.detail).toBe(
        'GET /csapi/v1.3/images: the server did not return JSON (content-type text/html, body starts "<html>Gateway *** error</html>");',
      );
      expect(retryReason(classifyResponse(html, fresh, cli)).message).toMatch(/\); check that source\.baseUrl points at the Qualys gateway$/);
    });
  });

  describe('4xx', () => {
    it('400 fails as a FilterRejectedError quoting the server, with filter as the setting to change', () => {
      const error = failure(classifyResponse(answer(400, { message: 'Invalid filter: unknown token "x"' }), fresh, policy));
      expect(error).toBeInstanceOf(FilterRejectedError);
      expect(error).toMatchObject({
        code: 'QCS_FILTER_REJECTED',
        setting: 'filter',
        detail: 'Qualys rejected the request (400: Invalid filter: unknown token "x").',
      });
      expect(error.message).toBe('Qualys rejected the request (400: Invalid filter: unknown token "x"). Check filter (QQL syntax) and pageSize.');
      expect(failure(classifyResponse(answer(400, { message: 'bad' }), fresh, cli)).message).toBe(
        'Qualys rejected the request (400: bad). Check source.filter (QQL syntax) and source.pageSize.',
      );
    });

    it('401 with a fixed token fails at once: there is nothing to renew', () => {
      for (const state of [
        { ...fresh, auth: 'token' as const },
        { ...fresh, auth: 'token' as const, renewals: 5 },
      ]) {
        const error = failure(classifyResponse(answer(401, { message: 'JWT expired' }), state, policy));
        expect(error).toBeInstanceOf(AuthError);
        expect(error.message).toBe('Qualys refused the credentials (401: JWT expired). The token may have expired; generate a new one and set it again.');
        expect(error.setting).toBe('auth');
      }
    });

    it('401 with Basic credentials fails at once', () => {
      const error = failure(classifyResponse(answer(401), { ...fresh, auth: 'basic' }, policy));
      expect(error).toBeInstanceOf(AuthError);
      expect(error.message).toBe('Qualys refused the credentials (401). Check the Basic auth username and password.');
    });

    it('401 with a JWT renews the login, up to maxRenewals logins per call', () => {
      expect(classifyResponse(answer(401), fresh, policy)).toEqual({ kind: 'renew-auth' });
      expect(classifyResponse(answer(401), { ...fresh, renewals: 1, tokenWasFresh: true, freshTokensRefused: 0 }, policy)).toEqual({ kind: 'renew-auth' });
    });

    it('401 with a JWT after maxRenewals logins fails, counting the fresh tokens refused, this one included', () => {
      const error = failure(
        classifyResponse(answer(401, { message: 'JWT expired' }), { ...fresh, renewals: 2, freshTokensRefused: 2, tokenWasFresh: true }, policy),
      );
      expect(error).toBeInstanceOf(AuthError);
      expect(error.message).toMatch(
        /^Qualys refused a freshly issued token 3 times for \/csapi\/v1\.3\/images \(401: JWT expired\), although each login succeeded\./,
      );
      expect(error.message).toMatch(/lower pageSize or concurrency;/);
      expect(error.message).not.toMatch(/username\/password/);
      const old = failure(classifyResponse(answer(401), { ...fresh, renewals: 2, freshTokensRefused: 1, tokenWasFresh: false }, cli));
      expect(old.message).toMatch(/refused a freshly issued token 1 times .*lower source\.pageSize or source\.concurrency;/);
    });

    it('403 fails as a ForbiddenError naming the path and the permission', () => {
      const error = failure(classifyResponse(answer(403, { errorCode: '403 FORBIDDEN', message: 'Request Forbidden' }), fresh, policy));
      expect(error).toBeInstanceOf(ForbiddenError);
      expect(error.message).toBe(
        'Qualys refused access to /csapi/v1.3/images (403: Request Forbidden). ' +
          'The user needs Container Security API permissions (e.g. CS.IMAGE.VIEW) and the images in its scope.',
      );
    });

    it('404 fails as an HttpError with its status', () => {
      const error = failure(classifyResponse(answer(404, { message: 'no such path' }), fresh, policy));
      expect(error).toBeInstanceOf(HttpError);
      expect(error).toMatchObject({ status: 404, message: 'GET /csapi/v1.3/images failed with HTTP 404: no such path' });
    });
  });

  describe('429 and 409: rate and concurrency limits', () => {
    it('without a wait header: wait, for as long as the caller backs off', () => {
      for (const status of [429, 409]) expect(classifyResponse(answer(status), fresh, policy)).toEqual({ kind: 'wait', ms: undefined });
    });

    it('with X-RateLimit-ToWait-Sec or Retry-After: wait what the server asked, X-RateLimit-ToWait-Sec first', () => {
      expect(classifyResponse(answer(429, '', { 'x-ratelimit-towait-sec': '3' }), fresh, policy)).toEqual({ kind: 'wait', ms: 3000 });
      expect(classifyResponse(answer(409, '', { 'retry-after': '1.5' }), fresh, policy)).toEqual({ kind: 'wait', ms: 1500 });
      expect(classifyResponse(answer(429, '', { 'x-ratelimit-towait-sec': '2', 'retry-after': '9' }), fresh, policy)).toEqual({ kind: 'wait', ms: 2000 });
      const now = Date.parse('2025-01-01T00:00:00Z');
      expect(classifyResponse(answer(429, '', { 'retry-after': 'Wed, 01 Jan 2025 00:00:07 GMT' }), fresh, { ...policy, now })).toEqual({
        kind: 'wait',
        ms: 7000,
      });
    });

    it('fails as a RateLimitError when the server asks for longer than maxServerWaitMs', () => {
      const error = failure(classifyResponse(answer(429, '', { 'x-ratelimit-towait-sec': '301' }), fresh, policy));
      expect(error).toBeInstanceOf(RateLimitError);
      expect(error.message).toBe(
        'Qualys asked to wait 301 s before the next call to /csapi/v1.3/images, longer than the 300 s allowed; ' +
          "another tool may be using the subscription's rate budget. Try again later.",
      );
      expect(classifyResponse(answer(429, '', { 'x-ratelimit-towait-sec': '300' }), fresh, policy)).toEqual({ kind: 'wait', ms: 300_000 });
    });

    it('fails as a RateLimitError once the call has waited maxRateLimitWaits times, with or without a header', () => {
      expect(classifyResponse(answer(409), { ...fresh, rateWaits: 19 }, policy)).toEqual({ kind: 'wait', ms: undefined });
      for (const headers of [{}, { 'retry-after': '1' }] as Array<Record<string, string>>) {
        const error = failure(classifyResponse(answer(409, '', headers), { ...fresh, rateWaits: 20 }, cli));
        expect(error).toBeInstanceOf(RateLimitError);
        expect(error).toMatchObject({ setting: 'concurrency' });
        expect(error.message).toBe(
          'Qualys kept answering 409 (rate or concurrency limit) for /csapi/v1.3/images after 20 waits; try again later or lower source.concurrency.',
        );
      }
    });
  });

  describe('5xx and the rest', () => {
    it('500, 502, 503 and 504 are retried, with an HttpError to throw once the retries are spent', () => {
      expect([...TRANSIENT_STATUS].sort()).toEqual([500, 502, 503, 504]);
      for (const status of TRANSIENT_STATUS) {
        const reason = retryReason(classifyResponse(answer(status, { message: 'busy' }), fresh, policy));
        expect(reason).toBeInstanceOf(HttpError);
        expect(reason.message).toBe(`GET /csapi/v1.3/images failed with HTTP ${status}: busy`);
      }
    });

    it('other 5xx, 3xx and unknown statuses fail at once as an HttpError', () => {
      for (const status of [501, 505, 301, 302, 418, 422, 599]) {
        const error = failure(classifyResponse(answer(status), fresh, policy));
        expect(error).toBeInstanceOf(HttpError);
        expect((error as HttpError).status).toBe(status);
      }
    });

    it('is pure: the same answer and state give the same action, and the state is not changed', () => {
      const state = Object.freeze({ ...fresh, renewals: 1, rateWaits: 3 });
      for (const res of [answer(401), answer(429), answer(503), answer(200, { a: 1 })]) {
        expect(classifyResponse(res, state, policy)).toEqual(classifyResponse(res, state, policy));
      }
      expect(state).toEqual({ ...fresh, renewals: 1, rateWaits: 3 });
    });
  });
});
