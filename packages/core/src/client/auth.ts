import type { QualysAuth } from './types.js';
import { parseJwtExpiry } from './jwt.js';

/** Qualys JWTs live 4 hours; used when a token carries no readable `exp`. */
const DEFAULT_JWT_LIFETIME_MS = 4 * 60 * 60 * 1000;

/**
 * Produces the Authorization header for each call. For JWT auth it logs in lazily, renews ahead of expiry, and
 * lets concurrent callers share one login so a burst of requests does not become a burst of logins.
 */
export class Credentials {
  private jwt: { token: string; issuedAt: number; renewAt: number } | undefined;
  private login: Promise<string> | undefined;
  logins = 0;

  constructor(
    private readonly auth: QualysAuth,
    private readonly renewBeforeMs: number,
    private readonly fetchJwt: (signal?: AbortSignal) => Promise<string>,
  ) {}

  /** Only a JWT can be renewed; a fixed token or Basic credentials that get a 401 are simply wrong. */
  get renewable(): boolean {
    return this.auth.kind === 'jwt';
  }

  async header(signal?: AbortSignal): Promise<string> {
    switch (this.auth.kind) {
      case 'token':
        return `Bearer ${this.auth.token}`;
      case 'basic':
        return `Basic ${Buffer.from(`${this.auth.username}:${this.auth.password}`, 'utf8').toString('base64')}`;
      case 'jwt': {
        if (this.jwt === undefined || Date.now() >= this.jwt.renewAt) return `Bearer ${await this.renew(signal)}`;
        return `Bearer ${this.jwt.token}`;
      }
    }
  }

  /** Logs in again (shared by concurrent callers) and returns the new JWT. */
  renew(signal?: AbortSignal): Promise<string> {
    if (this.login === undefined) {
      this.login = this.fetchJwt(signal)
        .then((token) => {
          const issued = Date.now();
          const expiry = parseJwtExpiry(token)?.getTime() ?? issued + DEFAULT_JWT_LIFETIME_MS;
          // Never renew more often than half the token's life, even if renewBeforeMs is larger than the lifetime.
          this.jwt = { token, issuedAt: issued, renewAt: Math.max(expiry - this.renewBeforeMs, issued + (expiry - issued) / 2) };
          this.logins++;
          return token;
        })
        .finally(() => {
          this.login = undefined;
        });
    }
    return this.login;
  }

  /** The token a failed call used, so a 401 renews only if nobody renewed it in the meantime. */
  currentJwt(): string | undefined {
    return this.jwt?.token;
  }

  /** When the current JWT was received (Date.now() clock), to tell a freshly issued token from an old one. */
  currentJwtIssuedAt(): number | undefined {
    return this.jwt?.issuedAt;
  }
}
