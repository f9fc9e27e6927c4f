import { createServer, request as forward, type IncomingMessage, type ServerResponse } from 'node:http';
import { mkdtemp, rm } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startElasticsearchTestServer } from '@qcs-export/elasticsearch-testserver';
import { makeRunContext } from '@qcs-export/sink-testkit';
import { createElasticsearchSink, elasticsearchSink, type ElasticsearchSinkOptions } from '../src/index.js';

const PASSWORD = 'os-Secret-9f3b1c';

/** What OpenSearch 2.17 answers on GET /, field for field. */
const OPENSEARCH_2 = {
  name: 'opensearch-node1',
  cluster_name: 'opensearch-cluster',
  cluster_uuid: 'vQnWk1lmT8uYb2h3c4d5eA',
  version: {
    distribution: 'opensearch',
    number: '2.17.1',
    build_type: 'tar',
    build_hash: '1893d20797e30110e5877170e44d42275ce5951e',
    build_date: '2024-09-26T21:59:52.691008096Z',
    build_snapshot: false,
    lucene_version: '9.11.1',
    minimum_wire_compatibility_version: '7.10.0',
    minimum_index_compatibility_version: '7.0.0',
  },
  tagline: 'The OpenSearch Project: https://opensearch.org/',
};

/**
 * OpenSearch 1.3 with compatibility.override_main_response_version (the "compatibility mode" of Amazon's managed
 * domains): it reports 7.10.2 and leaves out version.distribution; only the tagline still says OpenSearch.
 */
const OPENSEARCH_1_COMPATIBLE = {
  name: 'opensearch-node1',
  cluster_name: '123456789012:logs',
  cluster_uuid: 'Hc5mJ2kRQx2pZ0aT9bL7wQ',
  version: {
    number: '7.10.2',
    build_type: 'tar',
    build_hash: 'unknown',
    build_date: '2024-03-12T10:11:12.131415Z',
    build_snapshot: false,
    lucene_version: '8.10.1',
    minimum_wire_compatibility_version: '6.8.0',
    minimum_index_compatibility_version: '6.0.0-beta1',
  },
  tagline: 'The OpenSearch Project: https://opensearch.org/',
};

/** Elasticsearch 7.10.2 (the last OSS build, and Amazon's managed "Elasticsearch" domains), from before the product header existed. */
const ELASTICSEARCH_7_10 = {
  name: 'es-node1',
  cluster_name: 'docker-cluster',
  cluster_uuid: 'a1B2c3D4e5F6g7H8i9J0kA',
  version: {
    number: '7.10.2',
    build_flavor: 'oss',
    build_type: 'docker',
    build_hash: '747e1cc71def077253878a59143c1f785afa92b9',
    build_date: '2021-01-13T00:42:12.435326Z',
    build_snapshot: false,
    lucene_version: '8.7.0',
    minimum_wire_compatibility_version: '6.8.0',
    minimum_index_compatibility_version: '6.0.0-beta1',
  },
  tagline: 'You Know, for Search',
};

interface FakeNode {
  url: string;
  requests: Array<{ method: string; path: string; authorized: boolean }>;
  close(): Promise<void>;
}

/**
 * A loopback node that answers GET / with `root` and anything else with a 2xx acknowledgement, with only the
 * headers given (no x-elastic-product unless `headers` has it; `elsewhere` for answers other than the root), and
 * keeps what it was asked.
 */
async function startNode(root: object | string, headers: Record<string, string> = {}, elsewhere = headers): Promise<FakeNode> {
  const requests: FakeNode['requests'] = [];
  const expected = `Basic ${Buffer.from(`elastic:${PASSWORD}`).toString('base64')}`;
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    req.resume();
    req.on('end', () => {
      requests.push({ method: String(req.method), path: String(req.url), authorized: req.headers.authorization === expected });
      const isRoot = req.method === 'GET' && req.url === '/';
      const body = isRoot ? (typeof root === 'string' ? root : JSON.stringify(root)) : JSON.stringify({ acknowledged: true });
      const type = typeof root === 'string' && isRoot ? 'text/html; charset=utf-8' : 'application/json; charset=UTF-8';
      res.writeHead(200, { 'content-type': type, 'content-length': String(Buffer.byteLength(body)), ...(isRoot ? headers : elsewhere) });
      res.end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** A reverse proxy on loopback in front of `target` that drops the x-elastic-product header from every answer. */
async function startStrippingProxy(target: string): Promise<{ url: string; close(): Promise<void> }> {
  const upstream = new URL(target);
  const server = createServer((req, res) => {
    const out = forward({ host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: req.headers }, (answer) => {
      const { 'x-elastic-product': _dropped, ...kept } = answer.headers;
      res.writeHead(answer.statusCode ?? 502, kept);
      answer.pipe(res);
    });
    out.on('error', () => res.destroy());
    req.pipe(out);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'qcs-es-opensearch-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const optionsFor = (node: string): ElasticsearchSinkOptions =>
  elasticsearchSink.options.parse({
    node,
    index: 'qcs-images',
    auth: { username: 'elastic', password: PASSWORD },
    requestTimeoutMs: 5000,
  }) as ElasticsearchSinkOptions;

/** Opens the real sink against `node` as a run does, and returns what open() failed with. */
async function openFailure(node: string): Promise<{ code: string; message: string }> {
  const sink = createElasticsearchSink(optionsFor(node), makeRunContext({ baseDir: dir, runId: 'run-opensearch' }), { backoffBaseMs: 1 });
  const error = await sink.open().then(
    () => new Error('open() succeeded against a node that is not Elasticsearch'),
    (e: unknown) => e,
  );
  await sink.abort(error).catch(() => undefined);
  return error as { code: string; message: string };
}

/** What `qcs-export validate --connect` gets from the plugin's check against `node`. */
async function checkFailure(node: string): Promise<{ code: string; message: string }> {
  const check = elasticsearchSink.check;
  if (!check) throw new Error('the elasticsearch plugin has no check');
  return (await check(optionsFor(node), makeRunContext({ baseDir: dir })).then(
    () => new Error('check succeeded against a node that is not Elasticsearch'),
    (e: unknown) => e,
  )) as { code: string; message: string };
}

const SAYS_UNSUPPORTED = /the official Elasticsearch client this sink uses \(@elastic\/elasticsearch\) does not support OpenSearch/;
const SAYS_WHAT_TO_DO = /export to JSON Lines .*OpenSearch's own tools.*or point node at an Elasticsearch cluster/;

describe('a cluster that answers as OpenSearch', () => {
  it('OpenSearch 2.x (no product header): open and validate --connect fail naming OpenSearch 2.17.1, the client, and what to do', async () => {
    const node = await startNode(OPENSEARCH_2);
    try {
      for (const error of [await openFailure(node.url), await checkFailure(node.url)]) {
        expect(error.code).toBe('QCS_SINK_FAILED');
        expect(error.message).toContain(`${node.url} answered as OpenSearch 2.17.1`);
        expect(error.message).toMatch(SAYS_UNSUPPORTED);
        expect(error.message).toMatch(SAYS_WHAT_TO_DO);
        expect(error.message).not.toContain(PASSWORD);
        expect(error.message).not.toMatch(/Product Not Supported|unknown product/);
      }
      // Nothing but the root was asked, with the configured credentials: no template, index or document was sent.
      expect(node.requests.length).toBeGreaterThan(0);
      expect(node.requests.every((r) => r.method === 'GET' && r.path === '/' && r.authorized)).toBe(true);
    } finally {
      await node.close();
    }
  });

  it('OpenSearch 1.x in compatibility mode (reports 7.10.2, no distribution): named OpenSearch by its tagline', async () => {
    const node = await startNode(OPENSEARCH_1_COMPATIBLE);
    try {
      const error = await openFailure(node.url);
      expect(error.code).toBe('QCS_SINK_FAILED');
      expect(error.message).toContain(`${node.url} answered as OpenSearch, reporting version 7.10.2 (its compatibility mode)`);
      expect(error.message).toMatch(SAYS_UNSUPPORTED);
      expect(error.message).toMatch(SAYS_WHAT_TO_DO);
    } finally {
      await node.close();
    }
  });

  it('OpenSearch behind a proxy that adds x-elastic-product: still refused at open, before any template or index is made', async () => {
    const node = await startNode(OPENSEARCH_1_COMPATIBLE, { 'x-elastic-product': 'Elasticsearch' });
    try {
      const error = await openFailure(node.url);
      expect(error.code).toBe('QCS_SINK_FAILED');
      expect(error.message).toContain('answered as OpenSearch, reporting version 7.10.2');
      expect(error.message).toMatch(SAYS_UNSUPPORTED);
      expect(node.requests.map((r) => `${r.method} ${r.path}`)).toEqual(['GET /']);
    } finally {
      await node.close();
    }
  });
});

describe('a cluster that answers as Elasticsearch without the product header', () => {
  it('Elasticsearch 8 behind a proxy that strips the header: says so, and does not blame OpenSearch', async () => {
    const es = await startElasticsearchTestServer({ auth: { username: 'elastic', password: PASSWORD } });
    const proxy = await startStrippingProxy(es.url);
    try {
      for (const error of [await openFailure(proxy.url), await checkFailure(proxy.url)]) {
        expect(error.code).toBe('QCS_SINK_FAILED');
        expect(error.message).toContain(`${proxy.url} answered as Elasticsearch 8.19.2 but without the x-elastic-product header`);
        expect(error.message).toMatch(/something between this machine and the cluster \(a proxy or load balancer\) drops it/);
        expect(error.message).toMatch(/let it pass the x-elastic-product header on, or point node at the cluster directly/);
        expect(error.message).not.toMatch(/OpenSearch/);
        expect(error.message).not.toContain(PASSWORD);
      }
      expect(es.indices()).toEqual([]);
      expect(es.templates.size).toBe(0);
    } finally {
      await proxy.close();
      await es.close();
    }
  });

  it('Elasticsearch 7.10, from before the header existed: says the client needs 8 or later', async () => {
    const node = await startNode(ELASTICSEARCH_7_10);
    try {
      const error = await openFailure(node.url);
      expect(error.code).toBe('QCS_SINK_FAILED');
      expect(error.message).toContain(`${node.url} answered as Elasticsearch 7.10.2, which predates the x-elastic-product header (7.14)`);
      expect(error.message).toMatch(/point node at an Elasticsearch 8 or 9 cluster/);
      expect(error.message).not.toMatch(/does not support OpenSearch/);
    } finally {
      await node.close();
    }
  });

  it('a header lost after open (a load balancer in front of mixed nodes): the failing call names both causes', async () => {
    const root = { ...ELASTICSEARCH_7_10, version: { ...ELASTICSEARCH_7_10.version, number: '8.19.2', build_flavor: 'default' } };
    const node = await startNode(root, { 'x-elastic-product': 'Elasticsearch' }, {});
    try {
      const error = await openFailure(node.url);
      expect(error.code).toBe('QCS_SINK_FAILED');
      expect(error.message).toMatch(new RegExp(`^${node.url} answered without the x-elastic-product header while [a-z]`));
      expect(error.message).toMatch(
        /a node that is not Elasticsearch \(OpenSearch, which the client does not support\) or something in between that drops the header/,
      );
      expect(error.message).toMatch(/let a proxy or load balancer in front of the cluster pass the header on/);
      expect(error.message).not.toContain(PASSWORD);
    } finally {
      await node.close();
    }
  });

  it('a server that names no product at its root: says it does not look like Elasticsearch and where to point node', async () => {
    const node = await startNode('<html><body>It works!</body></html>');
    try {
      const error = await openFailure(node.url);
      expect(error.code).toBe('QCS_SINK_FAILED');
      expect(error.message).toContain(`${node.url} answered without the x-elastic-product header, and its root names no product`);
      expect(error.message).toMatch(/check that node is Elasticsearch's HTTP address \(port 9200 by default\)/);
      expect(error.message).not.toContain('It works');
    } finally {
      await node.close();
    }
  });
});
