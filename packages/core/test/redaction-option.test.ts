import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createConsoleLogger, FilterRejectedError, HttpError, QualysClient, Redactor } from '../src/index.js';
import { useLoopbackCleanup } from './loopback-cleanup.js';

/*
 * The client's `redact` option: the caller's redactor, for secrets the client does not know (a sink's password),
 * applied to server text before the client cuts it. Without it the text is quoted as the server sent it.
 */

const SINK_SECRET = 'Es-P4ss:w0rd/for+sink';
const TOKEN = 'Tk9v-4fXwZ.c2VjcmV0';

const { servers, clients } = useLoopbackCleanup();

/** A loopback server answering every call with `status` and the JSON message `message()`. */
async function serverSaying(status: number, message: () => string): Promise<string> {
  const server = createServer((_req, res) => {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ message: message() }));
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

function client(url: string, extra: Partial<ConstructorParameters<typeof QualysClient>[0]> = {}): QualysClient {
  const c = new QualysClient({
    baseUrl: url,
    auth: { kind: 'token', token: TOKEN },
    env: {},
    retry: { maxRetries: 1, baseDelayMs: 1, maxDelayMs: 1 },
    ...extra,
  });
  clients.push(c);
  return c;
}

describe('QualysClient redact option', () => {
  it("applies the caller's redaction before the 300-character cut, wherever the secret falls", async () => {
    const redactor = new Redactor();
    redactor.add(SINK_SECRET);
    let inside = 1;
    const url = await serverSaying(400, () => `${'-'.repeat(300 - inside)}${SINK_SECRET} end`);
    const c = client(url, { redact: (text) => redactor.redact(text) });
    for (; inside <= SINK_SECRET.length + 1; inside++) {
      const error = await c.get('/x').then(
        () => undefined,
        (e: unknown) => e as Error,
      );
      expect(error).toBeInstanceOf(FilterRejectedError);
      expect(String(error?.message), `${inside} characters inside the cut`).not.toContain(SINK_SECRET.slice(0, 4));
    }
  });

  it("by default quotes the server text as sent, hiding only the client's own credentials", async () => {
    const url = await serverSaying(400, () => `bad filter near ${SINK_SECRET}; you sent Bearer ${TOKEN} and ${TOKEN}`);
    await expect(client(url).get('/x')).rejects.toThrow(`(400: bad filter near ${SINK_SECRET}; you sent Bearer *** and ***)`);
  });

  it('keeps the retry log line clean even through a logger that redacts only after its own cut', async () => {
    // The CLI's arrangement: a console logger with a Redactor that knows the secret, and the same Redactor passed in.
    const redactor = new Redactor();
    redactor.add(SINK_SECRET);
    const lines: string[] = [];
    const stream = new Writable({
      write: (chunk, _enc, done) => {
        lines.push(String(chunk));
        done();
      },
    });
    const logger = createConsoleLogger({ level: 'debug', stream, redactor });
    // "GET /x failed with HTTP 500: " is 29 characters, so the message's 160th falls 131 into the server text.
    let inside = 1;
    const url = await serverSaying(500, () => `${'-'.repeat(131 - inside)}${SINK_SECRET} end`);
    const c = client(url, { logger, redact: (text) => redactor.redact(text) });
    for (; inside <= SINK_SECRET.length + 1; inside++) {
      await expect(c.get('/x')).rejects.toThrow(HttpError);
    }
    expect(lines.length).toBeGreaterThan(SINK_SECRET.length);
    expect(lines.join('')).not.toContain(SINK_SECRET.slice(0, 4));
  });
});
