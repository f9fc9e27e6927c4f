import { createServer as createHttpServer, type Server } from 'node:http';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { connect, type AddressInfo, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { errors, HttpConnection } from '@elastic/elasticsearch';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CertificateError } from '@qcs-export/core';
import { startElasticsearchTestServer, TEST_TLS, type EsTestServer } from '@qcs-export/elasticsearch-testserver';
import { makeRunContext, makeTestRecords } from '@qcs-export/sink-testkit';
import { BoundedUndiciConnection } from '../src/bounded-connection.js';
import { connectionFor, isTransient, MAX_ANSWER_BYTES, proxyForNodes } from '../src/connection.js';
import { createElasticsearchSink, elasticsearchSink, type ElasticsearchSinkOptions } from '../src/index.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'qcs-es-net-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function exportTo(node: string, options: Record<string, unknown>, env: NodeJS.ProcessEnv = {}, records = makeTestRecords(50, { seed: 9 })) {
  // Parsed with a loopback node, then pointed at `node`: the schema refuses plain http to a host that is not loopback.
  const parsed = elasticsearchSink.options.parse({ node: 'http://127.0.0.1:9', requestTimeoutMs: 5000, ...options }) as ElasticsearchSinkOptions;
  const sink = createElasticsearchSink({ ...parsed, node }, makeRunContext({ baseDir: dir, runId: `run-${Date.now()}` }), { backoffBaseMs: 1, env });
  await sink.open();
  await sink.write(records);
  return sink.close();
}

/**
 * A forward proxy on loopback that counts what goes through it: CONNECT tunnels (what the client's proxy agent
 * opens) to `es.test` reach `target`, any other host is refused.
 */
async function startProxy(target: { port: number }): Promise<{ url: string; tunnels: string[]; close(): Promise<void> }> {
  const tunnels: string[] = [];
  const sockets = new Set<Socket>();
  const server: Server = createHttpServer((_, res) => {
    res.statusCode = 405;
    res.end();
  });
  server.on('connect', (req, client: Socket) => {
    tunnels.push(String(req.url));
    sockets.add(client);
    const [host] = String(req.url).split(':');
    if (host !== 'es.test') return void client.end('HTTP/1.1 502 Bad Gateway\r\n\r\n');
    const upstream = connect(target.port, '127.0.0.1', () => {
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      upstream.pipe(client);
      client.pipe(upstream);
    });
    sockets.add(upstream);
    upstream.on('error', () => client.destroy());
    client.on('error', () => upstream.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    tunnels,
    close: () => {
      for (const s of sockets) s.destroy();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

describe('proxies (HTTPS_PROXY, HTTP_PROXY, NO_PROXY)', () => {
  it('chooses the proxy as the Qualys client does: lower-case wins, NO_PROXY exempts, loopback never goes through one', () => {
    const env = {
      HTTPS_PROXY: 'http://upper:3128',
      https_proxy: 'http://lower:3128',
      HTTP_PROXY: 'http://plain:3128',
      NO_PROXY: 'internal.example,.corp:9200',
    };
    expect(proxyForNodes(['https://es.example.com:9200'], env)).toBe('http://lower:3128');
    expect(proxyForNodes(['https://es.example.com:9200'], { HTTP_PROXY: 'http://plain:3128' })).toBe('http://plain:3128');
    expect(proxyForNodes(['https://es.internal.example:9200'], env)).toBeUndefined();
    expect(proxyForNodes(['https://a.corp:9200'], env)).toBeUndefined();
    expect(proxyForNodes(['https://a.corp:9243'], env)).toBe('http://lower:3128');
    expect(proxyForNodes(['https://es.example.com'], { ...env, no_proxy: '*' })).toBeUndefined();
    for (const loopback of ['http://127.0.0.1:9200', 'http://localhost:9200', 'https://[::1]:9200']) expect(proxyForNodes([loopback], env)).toBeUndefined();
    expect(proxyForNodes(['https://es.example.com'], {})).toBeUndefined();
    expect(() => proxyForNodes(['https://es.example.com', 'http://127.0.0.1:9200'], env)).toThrow(/would not all go through the same proxy/);
  });

  it('a node reached through a proxy gets the connection class that supports one (the undici one refuses proxies)', () => {
    expect(connectionFor('http://proxy:3128')).toEqual({ Connection: HttpConnection, proxy: 'http://proxy:3128' });
    expect(connectionFor(undefined)).toEqual({ Connection: BoundedUndiciConnection });
  });

  it('a loopback node bypasses a configured proxy; a node elsewhere goes through it, and every document arrives', async () => {
    const es = await startElasticsearchTestServer();
    const proxy = await startProxy(es);
    try {
      const env = { HTTP_PROXY: proxy.url, HTTPS_PROXY: proxy.url, NO_PROXY: '' };
      expect((await exportTo(es.url, { index: 'direct' }, env)).records).toBe(50);
      expect(proxy.tunnels).toEqual([]);
      // es.test does not resolve: only the proxy knows where it is. (Plain http, so only the proxy is under test.)
      expect((await exportTo(`http://es.test:${es.port}`, { index: 'proxied' }, env)).records).toBe(50);
      expect(proxy.tunnels.length).toBeGreaterThan(0);
      expect(new Set(proxy.tunnels)).toEqual(new Set([`es.test:${es.port}`]));
      expect(es.documents('proxied').size).toBe(50);
      await expect(exportTo(`http://es.test:${es.port}`, { index: 'exempt' }, { ...env, no_proxy: 'es.test' })).rejects.toMatchObject({ code: 'QCS_NETWORK' });
      // The connection class used through a proxy does not follow redirects either.
      es.inject({ kind: 'bulk-answer', answer: 'redirect', count: 1, location: `${es.url}/elsewhere/_bulk` });
      await expect(exportTo(`http://es.test:${es.port}`, { index: 'proxied-redirect' }, env)).rejects.toMatchObject({
        code: 'QCS_SINK_INCOMPLETE',
        message: expect.stringContaining(`a redirect (HTTP 307 to ${es.url}/elsewhere/_bulk), which the export does not follow`),
      });
      expect(es.requests.filter((r) => r.path.startsWith('/elsewhere'))).toEqual([]);
    } finally {
      await proxy.close();
      await es.close();
    }
  });
});

describe('TLS: tls.caFingerprint alone', () => {
  let es: EsTestServer;
  beforeAll(async () => {
    es = await startElasticsearchTestServer({ tls: { key: await readFile(TEST_TLS.keyFile), cert: await readFile(TEST_TLS.certFile) } });
  });
  afterAll(async () => {
    await es.close();
  });

  it('trusts a self-signed certificate pinned by its SHA-256 fingerprint, with no caFile', async () => {
    expect((await exportTo(es.url, { index: 'pinned', tls: { caFingerprint: TEST_TLS.sha256Fingerprint } })).records).toBe(50);
    expect(es.documents('pinned').size).toBe(50);
  });

  it('a fingerprint no certificate of the node has fails at open, saying what to check, and nothing is created', async () => {
    const wrong = TEST_TLS.sha256Fingerprint.replace(/^3F/, '00');
    const error = (await exportTo(es.url, { index: 'pinned-wrong', tls: { caFingerprint: wrong } }).catch((e: unknown) => e)) as {
      code: string;
      message: string;
    };
    expect(error.code).toBe('QCS_NETWORK');
    expect(error.message).toMatch(
      /no certificate that https:\/\/127\.0\.0\.1:\d+ presents has the SHA-256 fingerprint in tls\.caFingerprint; check tls\.caFingerprint/,
    );
    expect(es.indices()).not.toContain('pinned-wrong');
  });

  it('an untrusted certificate is not retried, and the message names tls.caFile, tls.caFingerprint and NODE_EXTRA_CA_CERTS', async () => {
    const before = es.requests.length;
    const error = (await exportTo(es.url, { index: 'untrusted' }).catch((e: unknown) => e)) as { code: string; message: string };
    expect(error).toBeInstanceOf(CertificateError);
    expect(error.code).toBe('QCS_NETWORK');
    expect(error.message).toMatch(/certificate/);
    expect(error.message).toMatch(/tls\.caFile .*tls\.caFingerprint.*NODE_EXTRA_CA_CERTS/);
    expect(es.requests.length).toBe(before);
    expect(isTransient(new errors.ConnectionError('self-signed certificate'))).toBe(false);
    expect(isTransient(new errors.ConnectionError('unable to verify the first certificate'))).toBe(false);
    expect(isTransient(new errors.ConnectionError('socket hang up'))).toBe(true);
  });
});

describe('clusters of other kinds and versions', () => {
  it('an OpenSearch cluster fails at open with a plain message, not a generic product error', async () => {
    const os = await startElasticsearchTestServer({ opensearch: true, version: '2.17.0' });
    try {
      const error = (await exportTo(os.url, { index: 'os' }).catch((e: unknown) => e)) as { code: string; message: string };
      expect(error.code).toBe('QCS_SINK_FAILED');
      expect(error.message).toMatch(
        /answered as OpenSearch 2\.17\.0: the official Elasticsearch client this sink uses \(@elastic\/elasticsearch\) does not support OpenSearch/,
      );
      expect(os.indices()).toEqual([]);
    } finally {
      await os.close();
    }
  });

  it('appends to an existing data stream on a node that answers _simulate_index on it with 500, as 7.10 does', async () => {
    const es = await startElasticsearchTestServer({ version: '7.10.2', simulateIndexRejectsDataStreams: true });
    try {
      const records = makeTestRecords(30, { seed: 2 });
      for (const startedAt of ['2026-12-01T00:00:00Z', '2026-12-02T00:00:00Z']) {
        const parsed = elasticsearchSink.options.parse({ node: es.url, index: 'logs-qcs-710', dataStream: true }) as ElasticsearchSinkOptions;
        const sink = createElasticsearchSink(parsed, makeRunContext({ baseDir: dir, startedAt: new Date(startedAt), runId: startedAt }), { backoffBaseMs: 1 });
        await sink.open();
        await sink.write(records);
        expect((await sink.close()).records).toBe(30);
      }
      expect(es.documents('logs-qcs-710').size).toBe(60);
    } finally {
      await es.close();
    }
  });
});

describe('answers are bounded (issue 17)', () => {
  it('an answer larger than the cap, by its Content-Length or as it streams in, fails with QCS_PROTOCOL without being read whole', async () => {
    let sent = 0;
    const huge = createHttpServer((req, res) => {
      req.resume();
      const declared = req.url?.includes('chunked') ? {} : { 'content-length': String(MAX_ANSWER_BYTES + 1) };
      res.writeHead(200, { 'x-elastic-product': 'Elasticsearch', 'content-type': 'application/json', ...declared });
      // Streams past the cap in 1 MiB pieces; the client must stop reading long before this loop ends.
      const chunk = Buffer.alloc(2 ** 20, 0x20);
      const pump = () => {
        while (sent < 4 * MAX_ANSWER_BYTES && !res.destroyed) {
          sent += chunk.length;
          if (!res.write(chunk)) return void res.once('drain', pump);
        }
        res.end();
      };
      pump();
    });
    await new Promise<void>((r) => huge.listen(0, '127.0.0.1', r));
    try {
      const node = `http://127.0.0.1:${(huge.address() as AddressInfo).port}`;
      for (const path of ['', '/chunked']) {
        sent = 0;
        await expect(exportTo(`${node}${path}`, { index: 'huge' })).rejects.toMatchObject({
          code: 'QCS_PROTOCOL',
          message: expect.stringMatching(/answered more than 64 MiB/),
        });
        expect(sent).toBeLessThan(3 * MAX_ANSWER_BYTES);
      }
    } finally {
      huge.closeAllConnections();
      await new Promise<void>((r) => huge.close(() => r()));
    }
  });
});
