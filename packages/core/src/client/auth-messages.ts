import { AuthError } from '../errors.js';
import { serverMessage, type RawResponse, type Redact } from './answer-text.js';
import type { QualysAuth, QualysSetting } from './types.js';

/** The login (POST /auth) itself was refused: the username or password is wrong, or the user may not use the API. */
export function loginRefused(res: RawResponse, redact: Redact, name: (setting: QualysSetting) => string): AuthError {
  return new AuthError(`Qualys refused the username/password (${res.status}${said(res, redact)}).`, {
    setting: 'auth',
    hint: `Check the username and password (${name('auth')}), and that the user has API access and the Container Security module.`,
  });
}

/** A fixed token or Basic credentials got a 401: there is nothing to renew, the credentials are wrong or expired. */
export function credentialsRefused(kind: Exclude<QualysAuth['kind'], 'jwt'>, res: RawResponse, redact: Redact): AuthError {
  const advice = kind === 'token' ? 'The token may have expired; generate a new one and set it again.' : 'Check the Basic auth username and password.';
  return new AuthError(`Qualys refused the credentials (401${said(res, redact)}).`, { setting: 'auth', hint: advice });
}

/**
 * Every login succeeded, yet Qualys kept refusing the tokens it had just issued. Blaming the username/password
 * would be false: the usual cause is a token that expires before the call completes, or a clock that is off.
 */
export function freshTokenRefused(path: string, times: number, res: RawResponse, redact: Redact, name: (setting: QualysSetting) => string): AuthError {
  return new AuthError(
    `Qualys refused a freshly issued token ${times} times for ${path} (401${said(res, redact)}), although each login succeeded. ` +
      `The token may expire before the call completes (its lifetime is shorter than the call's latency, e.g. slow answers or long rate-limit waits), ` +
      `or this machine's clock or the server's is off.`,
    {
      setting: 'pageSize',
      hint:
        `Check that the system clock is synchronised (NTP); if calls are slow, lower ${name('pageSize')} or ${name('concurrency')}; ` +
        `if it persists, ask Qualys support about the token lifetime for this user.`,
    },
  );
}

/** The server's words, redacted before they are cut: a 401 body may echo the credentials it refused. */
function said(res: RawResponse, redact: Redact): string {
  const message = serverMessage(res, redact);
  return message ? `: ${message}` : '';
}
