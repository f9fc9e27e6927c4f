import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { describe, expect, it } from 'vitest';
import {
  AbortedError,
  AuthError,
  FilterRejectedError,
  ForbiddenError,
  InsecureUrlError,
  NetworkError,
  ProtocolError,
  QualysClient,
  TimeoutError,
  type QualysClientOptions,
} from '../src/index.js';
import { useLoopbackCleanup } from './loopback-cleanup.js';

const PASSWORD = 'S3cr3t&=+ pw%';
const fast = { baseDelayMs: 5, maxDelayMs: 20 };

interface Seen {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
  at: number;
}

const { servers, clients } = useLoopbackCleanup();

function jwt(expSec: number): string {
  const b = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
  return `${b({ alg: 'none' })}.${b({ exp: expSec, n: Math.random() })}.sig`;
}

/** A loopback server whose answers a test scripts; it records every request it sees. */
async function fixture(handler: (req: Seen, res: ServerResponse, n: number) => void): Promise<{ url: string; seen: Seen[] }> {
  const seen: Seen[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      const s = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body, at: Date.now() };
      seen.push(s);
      handler(s, res, seen.length);
    });
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen };
}

function json(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
}

function client(url: string, options: Partial<QualysClientOptions> = {}): QualysClient {
  const c = new QualysClient({ baseUrl: url, auth: { kind: 'jwt', username: 'u@corp', password: PASSWORD }, retry: fast, env: {}, ...options });
  clients.push(c);
  return c;
}

/** Answers /auth with a fresh JWT and every API call with `api`. */
function withLogin(api: (req: Seen, res: ServerResponse, n: number) => void, token = () => jwt(Math.floor(Date.now() / 1000) + 3600)) {
  return (req: Seen, res: ServerResponse, n: number) => {
    if (req.url === '/auth') {
      res.writeHead(201, { 'content-type': 'text/plain' });
      return res.end(token());
    }
    api(req, res, n);
  };
}

describe('QualysClient auth', () => {
  it('logs in with a form-encoded body (password URL-encoded) and sends the JWT as a bearer token', async () => {
    const token = jwt(Math.floor(Date.now() / 1000) + 3600);
    const { url, seen } = await fixture(
      withLogin(
        (_q, res) => json(res, 200, { data: [], count: 0 }),
        () => token,
      ),
    );
    const r = await client(url).get('/csapi/v1.3/images', { pageSize: 1 });
    expect(r.body).toEqual({ data: [], count: 0 });
    expect(seen[0]?.method).toBe('POST');
    expect(seen[0]?.headers['content-type']).toBe('application/x-www-form-urlencoded');
    expect(Object.fromEntries(new URLSearchParams(seen[0]?.body))).toEqual({ username: 'u@corp', password: PASSWORD, token: 'true', permissions: 'true' });
    expect(seen[1]?.headers.authorization).toBe(`Bearer ${token}`);
  });

  it('renews the JWT before it expires', async () => {
    const { url, seen } = await fixture(
      withLogin(
        (_q, res) => json(res, 200, {}),
        () => jwt(Math.floor(Date.now() / 1000) + 2),
      ),
    );
    const c = client(url, { tokenRenewBeforeMs: 60_000 });
    await c.get('/x');
    await new Promise((r) => setTimeout(r, 1100));
    await c.get('/x');
    expect(seen.filter((s) => s.url === '/auth')).toHaveLength(2);
    expect(c.stats.authRenewals).toBe(1);
  });

  it('on a 401 logs in once more and retries the call', async () => {
    const { url, seen } = await fixture(withLogin((_q, res, n) => (n === 2 ? json(res, 401, { message: 'JWT expired' }) : json(res, 200, { ok: true }))));
    const r = await client(url).get('/x');
    expect(r.body).toEqual({ ok: true });
    expect(seen.map((s) => s.url)).toEqual(['/auth', '/x', '/auth', '/x']);
  });

  it('a second 401 after renewal is an AuthError, and the password appears in no message', async () => {
    const { url } = await fixture(withLogin((_q, res) => json(res, 401, { message: 'JWT expired' })));
    const error = await client(url)
      .get('/x')
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AuthError);
    expect(String((error as Error).message) + String((error as Error).stack)).not.toContain('S3cr3t');
  });

  it('refused credentials at login are an AuthError telling what to check', async () => {
    const { url, seen } = await fixture((_q, res) => json(res, 401, { message: 'Invalid credentials' }));
    // The hint names the credentials as the caller names them (settingName), here as a config's variables would.
    const settingName = (s: string) => (s === 'auth' ? 'QUALYS_USERNAME/QUALYS_PASSWORD' : s);
    await expect(client(url, { settingName }).get('/x')).rejects.toThrow(/refused the username\/password \(401: Invalid credentials\).*QUALYS_PASSWORD/);
    expect(seen).toHaveLength(1);
  });

  it('a login answer that is not a JWT is a ProtocolError pointing at the base URL', async () => {
    const { url } = await fixture((_q, res) => {
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end('<html>login page</html>');
    });
    await expect(client(url).get('/x')).rejects.toThrow(ProtocolError);
  });

  it('token and Basic auth send their headers and never log in', async () => {
    const { url, seen } = await fixture((_q, res) => json(res, 200, {}));
    await client(url, { auth: { kind: 'token', token: 'tok.en.x' } }).get('/x');
    await client(url, { auth: { kind: 'basic', username: 'a', password: 'b:c' } }).get('/x');
    expect(seen.map((s) => s.headers.authorization)).toEqual(['Bearer tok.en.x', `Basic ${Buffer.from('a:b:c').toString('base64')}`]);
  });

  it('concurrent calls share one login', async () => {
    const { url, seen } = await fixture(withLogin((_q, res) => json(res, 200, {})));
    const c = client(url);
    await Promise.all(Array.from({ length: 8 }, () => c.get('/x')));
    expect(seen.filter((s) => s.url === '/auth')).toHaveLength(1);
  });
});

describe('QualysClient retries and rate limits', () => {
  const token = { auth: { kind: 'token' as const, token: 't.o.k' } };

  it('retries 503s with backoff, then succeeds', async () => {
    const { url, seen } = await fixture((_q, res, n) => (n < 3 ? json(res, 503, { message: 'busy' }) : json(res, 200, { ok: 1 })));
    const c = client(url, token);
    expect((await c.get('/x')).body).toEqual({ ok: 1 });
    expect(seen).toHaveLength(3);
    expect(c.stats.retries).toBe(2);
  });

  it('retries a dropped connection and a truncated body', async () => {
    const { url, seen } = await fixture((_q, res, n) => {
      if (n === 1) return res.socket?.destroy();
      if (n === 2) {
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': '100' });
        res.write('{"data":[');
        return setTimeout(() => res.socket?.destroy(), 5);
      }
      json(res, 200, { data: [] });
    });
    expect((await client(url, token).get('/x')).body).toEqual({ data: [] });
    expect(seen).toHaveLength(3);
  });

  it('an HTML body where JSON was expected becomes a ProtocolError after the retries', async () => {
    const { url, seen } = await fixture((_q, res) => {
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end('<html>Gateway error</html>');
    });
    await expect(client(url, { ...token, retry: { ...fast, maxRetries: 2 } }).get('/x')).rejects.toThrow(
      /did not return JSON \(content-type text\/html, body starts "<html>Gateway error/,
    );
    expect(seen).toHaveLength(3);
  });

  it('honours X-RateLimit-ToWait-Sec on a 429', async () => {
    const { url, seen } = await fixture((_q, res, n) => (n === 1 ? json(res, 429, {}, { 'x-ratelimit-towait-sec': '0.3' }) : json(res, 200, {})));
    const c = client(url, token);
    await c.get('/x');
    expect((seen[1]?.at ?? 0) - (seen[0]?.at ?? 0)).toBeGreaterThanOrEqual(280);
    expect(c.stats.rateLimitWaits).toBe(1);
    expect(c.stats.retries).toBe(0);
  });

  it('honours Retry-After on a 409 (concurrency limit)', async () => {
    const { url, seen } = await fixture((_q, res, n) => (n === 1 ? json(res, 409, {}, { 'retry-after': '0.2' }) : json(res, 200, {})));
    await client(url, token).get('/x');
    expect((seen[1]?.at ?? 0) - (seen[0]?.at ?? 0)).toBeGreaterThanOrEqual(180);
  });

  it('waits out the window when Remaining reaches 0, without provoking a 429: paced by its own log when its own call spent it', async () => {
    const { url, seen } = await fixture((_q, res, n) =>
      json(res, 200, {}, { 'x-ratelimit-remaining': n === 1 ? '0' : '5', 'x-ratelimit-window-sec': '0.3', 'x-ratelimit-limit': '1' }),
    );
    const c = client(url, token);
    await c.get('/csapi/v1.3/images');
    await c.get('/csapi/v1.3/images');
    expect((seen[1]?.at ?? 0) - (seen[0]?.at ?? 0)).toBeGreaterThanOrEqual(280);
    expect(c.stats.throttleWaits).toBe(1);
    expect(c.stats.rateLimitWaits).toBe(0);
  });

  it('waits out the window the server asks when Remaining reaches 0 and another client spent part of the budget', async () => {
    const { url, seen } = await fixture((_q, res, n) =>
      json(res, 200, {}, { 'x-ratelimit-remaining': n === 1 ? '0' : '5', 'x-ratelimit-window-sec': '0.3', 'x-ratelimit-limit': '2' }),
    );
    const c = client(url, token);
    await c.get('/csapi/v1.3/images');
    await c.get('/csapi/v1.3/images');
    expect((seen[1]?.at ?? 0) - (seen[0]?.at ?? 0)).toBeGreaterThanOrEqual(280);
    expect(c.stats.rateLimitWaits).toBe(1);
  });

  it('a 400 fails at once with the server message (a bad filter)', async () => {
    const { url, seen } = await fixture((_q, res) => json(res, 400, { message: 'Invalid filter: unknown token "x"' }));
    await expect(client(url, token).get('/x', { filter: 'x:1' })).rejects.toThrow(FilterRejectedError);
    expect(seen).toHaveLength(1);
  });

  it('a 403 fails at once with the server message and a hint about permissions', async () => {
    const { url, seen } = await fixture((_q, res) => json(res, 403, { errorCode: '403 FORBIDDEN', message: 'Request Forbidden' }));
    await expect(client(url, token).get('/x')).rejects.toThrow(/403: Request Forbidden.*CS\.IMAGE\.VIEW/);
    await expect(client(url, token).get('/x')).rejects.toBeInstanceOf(ForbiddenError);
    expect(seen).toHaveLength(2);
  });

  it('a 204 is an empty result with a null body', async () => {
    const { url } = await fixture((_q, res) => {
      res.writeHead(204);
      res.end();
    });
    expect(await client(url, token).get('/x')).toMatchObject({ status: 204, body: null });
  });

  it('encodes QQL in the query string', async () => {
    const { url, seen } = await fixture((_q, res) => json(res, 200, {}));
    await client(url, token).get('/x', { filter: "imagesInUse:'[now-7d ... now]' and repo.tag:`a&b`", pageSize: 5, skip: undefined });
    const query = new URL(seen[0]?.url ?? '', 'http://h').searchParams;
    expect(query.get('filter')).toBe("imagesInUse:'[now-7d ... now]' and repo.tag:`a&b`");
    expect(query.has('skip')).toBe(false);
  });

  it('a server that does not answer in time is retried, then a TimeoutError', async () => {
    const { url, seen } = await fixture(() => undefined);
    await expect(client(url, { ...token, headersTimeoutMs: 100, retry: { ...fast, maxRetries: 1 } }).get('/x')).rejects.toBeInstanceOf(TimeoutError);
    expect(seen).toHaveLength(2);
  });

  it('a refused connection is a NetworkError naming the host', async () => {
    await expect(client('http://127.0.0.1:9', { ...token, retry: { ...fast, maxRetries: 1 } }).get('/x')).rejects.toThrow(NetworkError);
  });

  it('aborting during a backoff wait rejects promptly with AbortedError', async () => {
    const { url } = await fixture((_q, res) => json(res, 503, {}));
    const controller = new AbortController();
    const started = Date.now();
    const call = client(url, { ...token, retry: { baseDelayMs: 5000, maxDelayMs: 5000 } }).get('/x', {}, { signal: controller.signal });
    setTimeout(() => controller.abort(), 100);
    await expect(call).rejects.toBeInstanceOf(AbortedError);
    expect(Date.now() - started).toBeLessThan(2000);
  });
});

describe('QualysClient transport policy', () => {
  it('refuses http:// to a host that is not loopback', () => {
    expect(() => new QualysClient({ baseUrl: 'http://gateway.qg1.apps.qualys.com', auth: { kind: 'token', token: 'x' } })).toThrow(InsecureUrlError);
    expect(() => new QualysClient({ baseUrl: 'http://[::1]:8080', auth: { kind: 'token', token: 'x' } })).not.toThrow();
  });

  // Through a proxy only what is not loopback: apps/runner/test/qualys-proxy.test.ts tunnels to an https gateway that
  // only the proxy can reach (plain http is refused for any host that is not loopback).
  it('never sends a loopback gateway through HTTP_PROXY or HTTPS_PROXY, named or numeric (issue 17)', async () => {
    const target = await fixture((_q, res) => json(res, 200, { ok: true }));
    const tunnels: string[] = [];
    const proxy = createServer((req, res) => {
      tunnels.push(`${req.method} ${req.url}`);
      res.writeHead(502).end();
    });
    proxy.on('connect', (req: IncomingMessage, socket: Socket) => {
      tunnels.push(`CONNECT ${req.url}`);
      socket.end('HTTP/1.1 502 Bad Gateway\r\n\r\n');
    });
    servers.push(proxy);
    await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r));
    const proxyUrl = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;
    const auth = { kind: 'token' as const, token: 't' };
    for (const url of [target.url, target.url.replace('127.0.0.1', 'localhost')]) {
      expect((await client(url, { auth, env: { HTTP_PROXY: proxyUrl, HTTPS_PROXY: proxyUrl, http_proxy: proxyUrl } }).get('/x')).body).toEqual({ ok: true });
    }
    expect(tunnels).toEqual([]);
    expect(target.seen).toHaveLength(2);
  });
});
