import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createTlsServer } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import { applyAction, parseBulk } from './es-bulk.js';
import { EsError, type ItemError } from './es-errors.js';
import type { FieldMapping } from './es-mappings.js';
import { matches } from './es-query.js';
import { Store, type IndexTemplate, type StoredDoc } from './es-store.js';

export interface EsTestServerOptions {
  /** Version reported by GET /. Default: '8.19.2'. */
  version?: string;
  /** When set, every request must carry a matching Authorization header, else 401 security_exception. */
  auth?: { apiKey?: string; username?: string; password?: string; bearer?: string };
  /** Artificial latency per request in ms. Default: 0. */
  latencyMs?: number;
  /** Serve https with this key and certificate (PEM) instead of http. Default: http. */
  tls?: { key: string | Buffer; cert: string | Buffer };
}

export type EsFault =
  | { kind: 'item-429'; count: number }
  | { kind: 'item-reject'; id: string; status?: number; type?: string; reason?: string }
  | { kind: 'request-status'; status: number; count: number }
  | { kind: 'drop'; count: number };

export interface EsTestServer {
  url: string;
  port: number;
  requests: Array<{ method: string; path: string; headers: Record<string, string | string[] | undefined>; bodyBytes: number }>;
  stats: { bulkRequests: number; bulkItems: number; maxConcurrentBulk: number; refreshes: number };
  documents(index: string): Map<string, StoredDoc>;
  indices(): string[];
  templates: Map<string, IndexTemplate>;
  mappings(index: string): FieldMapping | undefined;
  inject(fault: EsFault): void;
  clearFaults(): void;
  setDown(down: boolean): void;
  close(): Promise<void>;
}

const SHARDS = { total: 1, successful: 1, failed: 0 };

/**
 * A loopback stand-in for an Elasticsearch 8 node: enough of the REST API, answered faithfully, for the official
 * client (product header, compatible-with media types, _bulk per-item results, index templates, data streams,
 * _count, _search by id), with faults on request. It keeps every document so a test can compare it with the source.
 */
export async function startElasticsearchTestServer(options: EsTestServerOptions = {}): Promise<EsTestServer> {
  const store = new Store();
  const requests: EsTestServer['requests'] = [];
  const stats = { bulkRequests: 0, bulkItems: 0, maxConcurrentBulk: 0, refreshes: 0 };
  let item429 = 0;
  const rejects = new Map<string, ItemError & { status: number }>();
  const requestFaults: Array<{ status: number; count: number }> = [];
  let drops = 0;
  let down = false;
  let bulkInFlight = 0;
  const sockets = new Set<Socket>();
  const expectedAuth = authHeaders(options.auth);

  const listener = (req: IncomingMessage, res: ServerResponse) => {
    void handle(req, res).catch((error: unknown) => {
      const e = error instanceof EsError ? error : new EsError(500, 'exception', (error as Error).message);
      send(req, res, e.status, e.body());
    });
  };
  const server = options.tls ? createTlsServer({ key: options.tls.key, cert: options.tls.cert }, listener) : createServer(listener);
  server.on('connection', (socket) => {
    if (down) return void socket.destroy();
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const raw = Buffer.concat(chunks).toString('utf8');
    const url = new URL(req.url ?? '/', 'http://localhost');
    requests.push({ method: req.method ?? 'GET', path: `${url.pathname}${url.search}`, headers: { ...req.headers }, bodyBytes: Buffer.byteLength(raw) });
    // A bulk request counts as in flight from arrival to answer, latency included, as on a node.
    const isBulk = url.pathname.endsWith('/_bulk');
    if (isBulk) {
      bulkInFlight += 1;
      stats.maxConcurrentBulk = Math.max(stats.maxConcurrentBulk, bulkInFlight);
    }
    try {
      await route(req, res, raw, url);
    } finally {
      if (isBulk) bulkInFlight -= 1;
    }
  }

  async function route(req: IncomingMessage, res: ServerResponse, raw: string, url: URL): Promise<void> {
    if (options.latencyMs) await new Promise((r) => setTimeout(r, options.latencyMs));
    checkMediaType(req);
    if (expectedAuth.length > 0 && !expectedAuth.includes(String(req.headers.authorization ?? ''))) {
      res.setHeader('www-authenticate', 'ApiKey, Basic realm="security", Bearer realm="security"');
      throw new EsError(401, 'security_exception', `unable to authenticate user for REST request [${url.pathname}]`);
    }
    const segments = url.pathname.split('/').filter(Boolean).map(decodeURIComponent);
    const method = req.method ?? 'GET';
    const json = () => (raw.trim() === '' ? {} : (JSON.parse(raw) as Record<string, unknown>));

    if (segments.length === 0) {
      return send(req, res, 200, {
        name: 'qcs-export-test-node',
        cluster_name: 'qcs-export-test',
        cluster_uuid: 'qcs-export-test-cluster',
        version: { number: options.version ?? '8.19.2', build_flavor: 'default', lucene_version: '9.12.2', minimum_wire_compatibility_version: '7.17.0', minimum_index_compatibility_version: '7.0.0' },
        tagline: 'You Know, for Search',
      });
    }
    const bulkIndex = segments.at(-1) === '_bulk' ? (segments.length === 2 ? segments[0] : segments.length === 1 ? undefined : null) : null;
    if (bulkIndex !== null && (method === 'POST' || method === 'PUT')) return bulk(req, res, raw, bulkIndex, url);

    if (segments[0] === '_index_template' && segments[1]) {
      const name = segments[1];
      if (method === 'PUT' || method === 'POST') {
        const body = json() as IndexTemplate;
        if (!body.index_patterns) throw new EsError(400, 'action_request_validation_exception', 'Validation Failed: 1: index patterns are missing;');
        store.templates.set(name, body);
        return send(req, res, 200, { acknowledged: true });
      }
      const template = store.templates.get(name);
      if (!template) return send(req, res, 404, new EsError(404, 'resource_not_found_exception', `index template matching [${name}] not found`).body());
      return send(req, res, 200, { index_templates: [{ name, index_template: template }] });
    }
    if (segments[0] === '_data_stream' && segments[1]) {
      if (method === 'PUT') {
        const name = segments[1];
        if (store.indices.has(name)) throw new EsError(400, 'resource_already_exists_exception', `data_stream [${name}] already exists`);
        if (store.templateFor(name)?.data_stream === undefined) throw new EsError(400, 'illegal_argument_exception', `no matching index template found for data stream [${name}]`);
        store.indexForWrite(name);
        return send(req, res, 200, { acknowledged: true });
      }
      const state = store.indices.get(segments[1]);
      if (!state?.dataStream) return send(req, res, 404, new EsError(404, 'index_not_found_exception', `no such index [${segments[1]}]`).body());
      if (method === 'DELETE') {
        store.indices.delete(state.name);
        return send(req, res, 200, { acknowledged: true });
      }
      return send(req, res, 200, { data_streams: [{ name: state.name, timestamp_field: { name: '@timestamp' }, indices: [{ index_name: state.backingIndex }], status: 'GREEN' }] });
    }
    if (segments[0] === '_refresh' || segments[1] === '_refresh') {
      stats.refreshes += 1;
      return send(req, res, 200, { _shards: SHARDS });
    }

    const expression = segments[0] as string;
    const targets = store.resolve(expression);
    const notFound = () => new EsError(404, 'index_not_found_exception', `no such index [${expression}]`);
    if (segments.length === 1) {
      if (method === 'PUT') {
        if (targets.length > 0) throw new EsError(400, 'resource_already_exists_exception', `index [${expression}/test] already exists`);
        if (store.templateFor(expression)?.data_stream !== undefined) throw new EsError(400, 'illegal_argument_exception', `cannot create index with name [${expression}], because it matches with template [data stream] that creates data streams only`);
        const state = store.indexForWrite(expression);
        const body = json() as { mappings?: FieldMapping };
        if (body.mappings) state.mappings = body.mappings;
        return send(req, res, 200, { acknowledged: true, shards_acknowledged: true, index: expression });
      }
      if (method === 'HEAD') return send(req, res, targets.length > 0 ? 200 : 404, undefined);
      if (method === 'DELETE') {
        if (targets.length === 0 && url.searchParams.get('ignore_unavailable') !== 'true') throw notFound();
        for (const t of targets) store.indices.delete(t.name);
        return send(req, res, 200, { acknowledged: true });
      }
    }
    if (segments[1] === '_mapping' && method === 'GET') {
      if (targets.length === 0) throw notFound();
      return send(req, res, 200, Object.fromEntries(targets.map((t) => [t.backingIndex, { mappings: t.mappings }])));
    }
    if (segments[1] === '_doc' && segments[2] && method === 'GET') {
      const state = targets[0];
      if (!state) throw notFound();
      const doc = state.docs.get(segments[2]);
      if (!doc) return send(req, res, 404, { _index: state.backingIndex, _id: segments[2], found: false });
      return send(req, res, 200, { _index: state.backingIndex, _id: doc._id, _version: doc._version, _seq_no: doc._seq_no, _primary_term: 1, found: true, _source: doc._source });
    }
    if ((segments[1] === '_count' || segments[1] === '_search') && (method === 'GET' || method === 'POST')) {
      if (targets.length === 0 && !expression.includes('*')) throw notFound();
      const body = json() as { query?: Record<string, Record<string, unknown>>; size?: number; from?: number };
      const hits = targets.flatMap((t) => [...t.docs.values()].filter((d) => matches(body.query, d)).map((d) => ({ _index: t.backingIndex, _id: d._id, _score: 1, _source: d._source })));
      if (segments[1] === '_count') return send(req, res, 200, { count: hits.length, _shards: SHARDS });
      const from = body.from ?? Number(url.searchParams.get('from') ?? 0);
      const size = body.size ?? Number(url.searchParams.get('size') ?? 10);
      return send(req, res, 200, { took: 1, timed_out: false, _shards: SHARDS, hits: { total: { value: hits.length, relation: 'eq' }, max_score: hits.length ? 1 : null, hits: hits.slice(from, from + size) } });
    }
    throw new EsError(400, 'illegal_argument_exception', `no handler found for uri [${url.pathname}] and method [${method}]`);
  }

  async function bulk(req: IncomingMessage, res: ServerResponse, raw: string, pathIndex: string | undefined, url: URL): Promise<void> {
    if (drops > 0) {
      drops -= 1;
      return void req.socket.destroy();
    }
    const fault = requestFaults[0];
    if (fault) {
      if (--fault.count <= 0) requestFaults.shift();
      const type = fault.status === 429 ? 'es_rejected_execution_exception' : fault.status === 413 ? 'request_entity_too_large' : fault.status === 503 ? 'unavailable_shards_exception' : 'exception';
      return send(req, res, fault.status, new EsError(fault.status, type, `injected ${fault.status}`).body());
    }
    const actions = parseBulk(raw, pathIndex);
    stats.bulkRequests += 1;
    stats.bulkItems += actions.length;
    const started = Date.now();
    const items = actions.map((action) =>
      applyAction(store, action, {
        itemError(id) {
          if (item429 > 0) {
            item429 -= 1;
            return { status: 429, type: 'es_rejected_execution_exception', reason: 'rejected execution of coordinating operation [injected]' };
          }
          return id === undefined ? undefined : rejects.get(id);
        },
      }),
    );
    if (url.searchParams.get('refresh') && url.searchParams.get('refresh') !== 'false') stats.refreshes += 1;
    const errors = items.some((i) => (Object.values(i)[0] as { status: number }).status >= 300);
    return send(req, res, 200, { took: Date.now() - started, errors, items });
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `${options.tls ? 'https' : 'http'}://127.0.0.1:${port}`,
    port,
    requests,
    stats,
    templates: store.templates,
    documents: (index) => store.resolve(index)[0]?.docs ?? new Map(),
    indices: () => [...store.indices.keys()],
    mappings: (index) => store.resolve(index)[0]?.mappings,
    inject(fault) {
      if (fault.kind === 'item-429') item429 += fault.count;
      else if (fault.kind === 'item-reject') rejects.set(fault.id, { status: fault.status ?? 400, type: fault.type ?? 'document_parsing_exception', reason: fault.reason ?? `[1:1] failed to parse document with id '${fault.id}' (injected)` });
      else if (fault.kind === 'request-status') requestFaults.push({ status: fault.status, count: fault.count });
      else drops += fault.count;
    },
    clearFaults() {
      item429 = 0;
      rejects.clear();
      requestFaults.length = 0;
      drops = 0;
    },
    setDown(value) {
      down = value;
      if (value) for (const socket of sockets) socket.destroy();
    },
    close() {
      for (const socket of sockets) socket.destroy();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

function authHeaders(auth: EsTestServerOptions['auth']): string[] {
  if (!auth) return [];
  const out: string[] = [];
  if (auth.apiKey) out.push(`ApiKey ${auth.apiKey}`);
  if (auth.username !== undefined && auth.password !== undefined) out.push(`Basic ${Buffer.from(`${auth.username}:${auth.password}`).toString('base64')}`);
  if (auth.bearer) out.push(`Bearer ${auth.bearer}`);
  return out;
}

/** A real 8.x node refuses a media type that asks for another major's compatibility (a 9.x client). */
function checkMediaType(req: IncomingMessage): void {
  for (const header of [req.headers['content-type'], req.headers.accept]) {
    const version = /compatible-with=(\d+)/.exec(String(header ?? ''))?.[1];
    if (version && version !== '7' && version !== '8') {
      throw new EsError(400, 'media_type_header_exception', `Invalid media-type value on headers [Content-Type, Accept]: compatible-with=${version} is not supported`);
    }
  }
}

function send(req: IncomingMessage, res: ServerResponse, status: number, body: unknown): void {
  const compatible = /compatible-with=8/.test(String(req.headers.accept ?? ''));
  res.statusCode = status;
  // Without this header the official client refuses every answer (ProductNotSupportedError).
  res.setHeader('x-elastic-product', 'Elasticsearch');
  if (body === undefined || req.method === 'HEAD') return void res.end();
  res.setHeader('content-type', compatible ? 'application/vnd.elasticsearch+json;compatible-with=8' : 'application/json');
  res.end(JSON.stringify(body));
}
