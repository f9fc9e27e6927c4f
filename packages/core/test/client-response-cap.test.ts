import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { CLIENT_DEFAULTS, ProtocolError, QualysClient } from '../src/index.js';
import { useLoopbackCleanup } from './loopback-cleanup.js';

const { servers, clients } = useLoopbackCleanup();
const MiB = 1024 * 1024;
const CAP = MiB;
const FILTER = "vulnerabilities.severity:5 and repo.repository:'private-team-x'";

/** What a server answering one endpoint saw: requests to it, and the body bytes it managed to hand to the socket. */
interface Seen {
  requests: number;
  bytesSent: number;
}

/**
 * A loopback API whose /csapi answer streams spaces (`total` bytes) under the given headers, honouring backpressure:
 * a client that stops reading stops the server too, so `bytesSent` tells how much the client let in.
 */
async function streamingServer(total: number, headers: Record<string, string>): Promise<{ url: string; seen: Seen }> {
  const seen: Seen = { requests: 0, bytesSent: 0 };
  const chunk = Buffer.alloc(64 * 1024, 0x20);
  const server = createServer((req, res) => {
    if (req.url === '/auth') {
      res.writeHead(201, { 'content-type': 'text/plain' });
      return res.end(`${b64({ alg: 'none' })}.${b64({ exp: Math.floor(Date.now() / 1000) + 3600 })}.sig`);
    }
    seen.requests++;
    res.writeHead(200, { 'content-type': 'application/json', ...headers });
    void stream(res, total, seen);
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen };

  async function stream(res: ServerResponse, bytes: number, s: Seen): Promise<void> {
    let closed = false;
    res.once('close', () => {
      closed = true;
    });
    while (s.bytesSent < bytes && !closed) {
      const ok = res.write(chunk);
      s.bytesSent += chunk.length;
      if (!ok && !closed) await drainOrClose(res);
    }
    if (!closed) res.end();
  }
}

function drainOrClose(res: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      res.off('drain', done);
      res.off('close', done);
      resolve();
    };
    res.once('drain', done);
    res.once('close', done);
  });
}

const b64 = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');

function client(url: string): QualysClient {
  const c = new QualysClient({
    baseUrl: url,
    auth: { kind: 'jwt', username: 'u', password: 'p' },
    env: {},
    retry: { maxRetries: 3, baseDelayMs: 5, maxDelayMs: 20 },
    maxResponseBytes: CAP,
  });
  clients.push(c);
  return c;
}

async function failure(promise: Promise<unknown>): Promise<ProtocolError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ProtocolError);
  return error as ProtocolError;
}

describe('every answer has a size cap (issue 17)', () => {
  it('a Content-Length over the cap fails at once, before the body is read: QCS_PROTOCOL, not retried, naming the endpoint and the cap', async () => {
    const { url, seen } = await streamingServer(48 * MiB, { 'content-length': String(10 * 1024 * MiB) });
    const error = await failure(client(url).get('/csapi/v1.3/images', { filter: FILTER, pageSize: 1000 }));
    expect(error.code).toBe('QCS_PROTOCOL');
    expect(error.message).toContain('GET /csapi/v1.3/images:');
    expect(error.message).toContain('Content-Length 10737418240');
    expect(error.message).toContain('1 MiB (1048576 bytes)');
    expect(error.setting).toBe('maxResponseBytes');
    expect(error.hint).toContain('raise maxResponseBytes');
    expect(error.hint).toContain('proxy');
    // The path only: the query (the filter) stays out of the message.
    expect(error.message).not.toContain('private-team-x');
    expect(error.message).not.toContain('pageSize');
    expect(seen.requests).toBe(1);
    // Nothing was read, so the server got no further than what the socket buffers took.
    expect(seen.bytesSent).toBeLessThan(24 * MiB);
  });

  it('a chunked answer that streams past the cap is cut off there: the client stops reading, and the server could send little more', async () => {
    const { url, seen } = await streamingServer(96 * MiB, {});
    const error = await failure(client(url).get('/csapi/v1.3/images/list', { filter: FILTER, limit: 250 }));
    expect(error.message).toContain('GET /csapi/v1.3/images/list: the answer from 127.0.0.1');
    expect(error.message).toContain('went on past 1 MiB (1048576 bytes), the most one answer may hold;');
    expect(error.message).not.toContain('private-team-x');
    expect(seen.requests).toBe(1);
    expect(seen.bytesSent).toBeLessThan(CAP + 24 * MiB);
  });

  it('an answer within the cap is read whole, and the default cap has room for a large details answer', async () => {
    const findings = Array.from({ length: 5000 }, (_, i) => ({ qid: i, title: 'x'.repeat(150) }));
    const body = JSON.stringify({ sha: 'a'.repeat(64), vulnerabilities: findings });
    const server = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(body);
    });
    servers.push(server);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const c = new QualysClient({ baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, auth: { kind: 'token', token: 't' }, env: {} });
    clients.push(c);
    const res = await c.get<{ vulnerabilities: unknown[] }>(`/csapi/v1.3/images/${'a'.repeat(64)}`);
    expect(res.body?.vulnerabilities).toHaveLength(5000);
    expect(CLIENT_DEFAULTS.maxResponseBytes).toBe(64 * MiB);
  });
});
