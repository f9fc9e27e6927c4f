import { getEventListeners } from 'node:events';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { AbortedError, AuthError, QualysClient, TimeoutError, type QualysClientOptions } from '../src/index.js';
import { useLoopbackCleanup } from './loopback-cleanup.js';

const PASSWORD = 'S3cr3t&=+ pw%';

const { servers, clients } = useLoopbackCleanup();

async function serve(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<{ url: string; seen: string[] }> {
  const seen: string[] = [];
  const server = createServer((req, res) => {
    seen.push(req.url ?? '');
    handler(req, res);
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen };
}

function client(url: string, options: Partial<QualysClientOptions> = {}): QualysClient {
  const c = new QualysClient({ baseUrl: url, auth: { kind: 'token', token: 't.o.k' }, env: {}, retry: { baseDelayMs: 5, maxDelayMs: 20 }, ...options });
  clients.push(c);
  return c;
}

/** A 2 KB JSON body sent 50 bytes every 20 ms: never silent for long, so only an overall deadline can stop it. */
function trickle(_req: IncomingMessage, res: ServerResponse): void {
  const body = Buffer.from(JSON.stringify({ data: 'x'.repeat(2036) }));
  res.writeHead(200, { 'content-type': 'application/json', 'content-length': String(body.length) });
  let sent = 0;
  const timer = setInterval(() => {
    if (res.destroyed) return clearInterval(timer);
    res.write(body.subarray(sent, sent + 50));
    sent += 50;
    if (sent >= body.length) {
      clearInterval(timer);
      res.end();
    }
  }, 20);
  res.on('close', () => clearInterval(timer));
}

function jwt(): string {
  const b = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
  return `${b({ alg: 'none' })}.${b({ exp: Math.floor(Date.now() / 1000) + 3600, n: Math.random() })}.sig`;
}

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

describe('QualysClient overall deadline per request', () => {
  it('a body that trickles in too slowly fails as a TimeoutError after every attempt, naming the limit and the option', async () => {
    const { url, seen } = await serve(trickle);
    // Named as a config file names it: the client writes whatever settingName gives into its hints.
    const settingName = (s: string) => (s === 'requestTimeoutMs' ? 'source.timeouts.requestMs' : s);
    const error = await client(url, { requestTimeoutMs: 300, settingName, retry: { baseDelayMs: 5, maxDelayMs: 20, maxRetries: 1 } })
      .get('/x')
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TimeoutError);
    expect((error as Error).message).toMatch(/sent the answer too slowly.*within 300 ms.*source\.timeouts\.requestMs/);
    expect(seen).toHaveLength(2);
  });

  it('the same server succeeds with a generous deadline', async () => {
    const { url, seen } = await serve(trickle);
    const r = await client(url, { requestTimeoutMs: 30_000 }).get<{ data: string }>('/x');
    expect(r.body?.data).toHaveLength(2036);
    expect(seen).toHaveLength(1);
  });

  it('a caller abort during a slow body is an AbortedError, not a TimeoutError', async () => {
    const { url } = await serve(trickle);
    const controller = new AbortController();
    const call = client(url, { requestTimeoutMs: 30_000 }).get('/x', {}, { signal: controller.signal });
    setTimeout(() => controller.abort(), 100);
    await expect(call).rejects.toBeInstanceOf(AbortedError);
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
  });

  it('1,000 calls sharing one signal leave no listener on it and never exceed one at a time (no MaxListenersExceededWarning)', async () => {
    const controller = new AbortController();
    const signal = controller.signal;
    let mostListeners = 0;
    let answered = 0;
    const { url } = await serve((_req, res) => {
      mostListeners = Math.max(mostListeners, getEventListeners(signal, 'abort').length);
      // Every 10th answer is a 503, so backoff sleeps wait on the same signal too.
      json(res, ++answered % 10 === 0 ? 503 : 200, { ok: true });
    });
    const warnings: string[] = [];
    const onWarning = (w: Error) => warnings.push(w.name);
    process.on('warning', onWarning);
    try {
      const c = client(url);
      let next = 0;
      let ok = 0;
      await Promise.all(
        Array.from({ length: 16 }, async () => {
          while (next < 1000) {
            next++;
            if ((await c.get('/x', {}, { signal })).status === 200) ok++;
          }
        }),
      );
      expect(ok).toBe(1000);
      expect(c.stats.retries).toBeGreaterThan(0);
      // Warnings are emitted on the next tick.
      await new Promise((r) => setImmediate(r));
    } finally {
      process.off('warning', onWarning);
    }
    expect(mostListeners).toBe(1);
    expect(getEventListeners(signal, 'abort')).toHaveLength(0);
    expect(warnings).not.toContain('MaxListenersExceededWarning');
  });
});

describe('QualysClient when Qualys refuses tokens', () => {
  const jwtAuth = { auth: { kind: 'jwt' as const, username: 'u@corp', password: PASSWORD } };

  /** Logs in (the first `goodLogins` logins succeed, later ones are refused) and answers every data call 401. */
  async function refusingServer(goodLogins: number) {
    let logins = 0;
    return serve((req, res) => {
      if (req.url !== '/auth') return json(res, 401, { message: 'JWT expired' });
      if (++logins > goodLogins) return json(res, 401, { message: 'Invalid credentials' });
      res.writeHead(201, { 'content-type': 'text/plain' });
      res.end(jwt());
    });
  }

  it('tokens issued but always refused: says so, quoting the server, and does not blame the username/password', async () => {
    const { url, seen } = await refusingServer(Number.POSITIVE_INFINITY);
    const c = client(url, jwtAuth);
    const error = (await c.get('/x').catch((e: unknown) => e)) as Error;
    expect(error).toBeInstanceOf(AuthError);
    expect(error.message).toMatch(/refused a freshly issued token 3 times.*JWT expired.*expire before the call completes.*clock/);
    expect(error.message).not.toMatch(/username\/password/);
    // The first login, then two renewals, each followed by the call.
    expect(seen).toEqual(['/auth', '/x', '/auth', '/x', '/auth', '/x']);
    expect(c.stats.authRenewals).toBe(2);
    expect(`${error.message}${error.stack}`).not.toContain('S3cr3t');
  });

  it('a login refused while renewing is the error that stands, and it differs from a refused fresh token', async () => {
    const refusedLogin = await refusingServer(1);
    const loginError = (await client(refusedLogin.url, jwtAuth)
      .get('/x')
      .catch((e: unknown) => e)) as Error;
    expect(loginError).toBeInstanceOf(AuthError);
    expect(loginError.message).toMatch(/refused the username\/password \(401: Invalid credentials\)/);
    expect(refusedLogin.seen).toEqual(['/auth', '/x', '/auth']);

    const refusedTokens = await refusingServer(Number.POSITIVE_INFINITY);
    const tokenError = (await client(refusedTokens.url, jwtAuth)
      .get('/x')
      .catch((e: unknown) => e)) as Error;
    expect(tokenError).toBeInstanceOf(AuthError);
    expect(tokenError.message).not.toBe(loginError.message);
    for (const e of [loginError, tokenError]) expect(`${e.message}${e.stack}`).not.toContain('S3cr3t');
  });
});
