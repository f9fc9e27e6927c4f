import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import { errorBody, send } from './http.js';

export interface Credentials {
  username: string;
  password: string;
}

/** JWTs signed with a per-run secret, a ready static bearer token, and Basic auth, as the gateway accepts them. */
export class Auth {
  readonly staticToken = `static-${randomBytes(16).toString('hex')}`;
  private readonly secret = randomBytes(32);
  /** JWTs issued before this instant are expired (the `expireTokens` fault). */
  private validFrom = 0;

  constructor(
    readonly credentials: Credentials,
    private readonly ttlMs: number,
  ) {}

  issueJwt(): string {
    const iat = Date.now();
    const enc = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
    const claims = {
      sub: this.credentials.username,
      iat: Math.floor(iat / 1000),
      iatMs: iat,
      exp: Math.floor((iat + this.ttlMs) / 1000),
      expMs: iat + this.ttlMs,
      modulesAllowed: ['CS', 'VM'],
    };
    const head = `${enc({ alg: 'HS256', typ: 'JWT' })}.${enc(claims)}`;
    return `${head}.${createHmac('sha256', this.secret).update(head).digest('base64url')}`;
  }

  /** Every JWT issued so far reads as expired from now on. */
  expireTokens(): void {
    this.validFrom = Date.now() + 1;
  }

  /** Why an Authorization header is refused, or undefined when it is accepted. */
  check(header: string | undefined): string | undefined {
    if (!header) return 'Authentication required';
    const [scheme, value = ''] = header.split(' ', 2);
    if (/^basic$/i.test(scheme ?? '')) {
      return Buffer.from(value, 'base64').toString('utf8') === `${this.credentials.username}:${this.credentials.password}` ? undefined : 'Invalid credentials';
    }
    if (!/^bearer$/i.test(scheme ?? '')) return 'Unsupported authorization scheme';
    if (value === this.staticToken) return undefined;
    const state = this.jwtState(value);
    return state === 'ok' ? undefined : state === 'expired' ? 'JWT expired' : 'Invalid token';
  }

  /** POST /auth with a form body: 201 and the JWT as plain text, as the real gateway answers. Returns whether it logged in. */
  login(method: string | undefined, body: string, res: ServerResponse): boolean {
    const form = new URLSearchParams(body);
    const username = form.get('username');
    const password = form.get('password');
    if (method !== 'POST') send(res, 405, { message: 'use POST' });
    else if (!username || !password) send(res, 400, { errorCode: '400 BAD_REQUEST', message: 'username and password are required' });
    else if (username !== this.credentials.username || password !== this.credentials.password)
      send(res, 401, errorBody(401, 'UNAUTHORIZED', 'Invalid username or password'));
    else {
      res.writeHead(201, { 'content-type': 'text/plain' });
      res.end(this.issueJwt());
      return true;
    }
    return false;
  }

  private jwtState(token: string): 'ok' | 'expired' | 'invalid' {
    const [h, p, s] = token.split('.');
    if (!h || !p || !s) return 'invalid';
    const expected = createHmac('sha256', this.secret).update(`${h}.${p}`).digest();
    const got = Buffer.from(s, 'base64url');
    if (got.length !== expected.length || !timingSafeEqual(got, expected)) return 'invalid';
    const claims = JSON.parse(Buffer.from(p, 'base64url').toString()) as { iatMs: number; expMs: number };
    return Date.now() >= claims.expMs || claims.iatMs < this.validFrom ? 'expired' : 'ok';
  }
}
