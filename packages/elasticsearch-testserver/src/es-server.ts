import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createTlsServer } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { EsError } from './es-errors.js';
import { type EsFault, Faults } from './es-faults.js';
import { allowedAuthorizations, decodeBody, negotiate, readBody, send } from './es-http.js';
import type { FieldMapping } from './es-mappings.js';
import { type Context, type EsRequest, type Method, resolveRoute, type ServerStats } from './es-router.js';
import { ROUTES } from './es-routes.js';
import { type IndexTemplate, Store, type StoredDoc } from './es-store.js';

export type { EsFault };

export interface EsTestServerOptions {
  /** Version reported by GET /. Default: '8.19.2'. */
  version?: string;
  /** When set, every request must carry a matching Authorization header, else 401 security_exception (with www-authenticate). */
  auth?: { apiKey?: string /* the base64 "id:key" string sent as `ApiKey <value>` */; username?: string; password?: string; bearer?: string };
  /** Artificial latency per request in ms. Default: 0. */
  latencyMs?: number;
  /** Serve https with this key and certificate (PEM) instead of http. Default: http. */
  tls?: { key: string | Buffer; cert: string | Buffer };
  /**
   * Answer `POST _index_template/_simulate_index/<name>` for an existing data stream with 500 ("data stream
   * conflicts with index"), as an Elasticsearch 7.10 node does. Default: false (8.x answers it).
   */
  simulateIndexRejectsDataStreams?: boolean;
  /** Answer as an OpenSearch node does: no x-elastic-product header, and `version.distribution: opensearch` at the root. Default: false. */
  opensearch?: boolean;
}

export interface EsTestServer {
  /** http://127.0.0.1:PORT (https with `tls`). */
  url: string;
  port: number;
  /**
   * Every request received: method, path (with query), headers (lower-case), body bytes as sent (compressed, if
   * it was), and the status it was answered with (none while it is in flight, or when its connection was dropped).
   */
  requests: Array<{ method: string; path: string; headers: Record<string, string | string[] | undefined>; bodyBytes: number; status?: number }>;
  stats: ServerStats;
  /** Documents of an index or data stream (backing indices merged), by _id. Empty map if none. */
  documents(index: string): Map<string, StoredDoc>;
  /** Names of existing indices and data streams. */
  indices(): string[];
  /** Client connections open right now, so a test can check that a client closed its sockets. */
  openConnections(): number;
  /** Index templates as stored (name → body). */
  templates: Map<string, IndexTemplate>;
  /** The effective mappings of an index (from its template at creation, plus dynamic fields). */
  mappings(index: string): FieldMapping | undefined;
  inject(fault: EsFault): void;
  clearFaults(): void;
  /** While down, every connection is destroyed at once (the cluster is unreachable). */
  setDown(down: boolean): void;
  close(): Promise<void>;
}

/**
 * A loopback stand-in for an Elasticsearch 8 node: enough of the REST API, answered faithfully, for the official
 * client (product header, compatible-with media types, _bulk per-item results, index templates, data streams,
 * _count, _search), with faults on request. It keeps every document so a test can compare it with the source.
 */
export async function startElasticsearchTestServer(options: EsTestServerOptions = {}): Promise<EsTestServer> {
  const ctx: Context = {
    store: new Store(),
    stats: { bulkRequests: 0, bulkItems: 0, maxConcurrentBulk: 0, refreshes: 0 },
    faults: new Faults(),
    version: options.version ?? '8.19.2',
    opensearch: options.opensearch ?? false,
    simulateIndexRejectsDataStreams: options.simulateIndexRejectsDataStreams ?? false,
  };
  const requests: EsTestServer['requests'] = [];
  const allowed = allowedAuthorizations(options.auth);
  const sockets = new Set<Socket>();
  let down = false;
  let bulkInFlight = 0;

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    let compatible: string | undefined;
    let logged: EsTestServer['requests'][number] | undefined;
    try {
      const wire = await readBody(req);
      const url = new URL(req.url ?? '/', 'http://127.0.0.1');
      const method = req.method ?? 'GET';
      logged = { method, path: `${url.pathname}${url.search}`, headers: { ...req.headers }, bodyBytes: wire.length };
      requests.push(logged);
      // A bulk request is in flight from arrival to answer, latency included, as on a node.
      const isBulk = url.pathname.endsWith('/_bulk');
      if (isBulk) ctx.stats.maxConcurrentBulk = Math.max(ctx.stats.maxConcurrentBulk, ++bulkInFlight);
      try {
        if (options.latencyMs) await sleep(options.latencyMs);
        const text = decodeBody(req, wire);
        compatible = negotiate(req, text.length > 0);
        if (allowed.length > 0 && !allowed.includes(String(req.headers.authorization ?? '')))
          throw unauthenticated(res, req.headers.authorization, url.pathname);
        const { handler, params } = resolveRoute(ROUTES, method, url.pathname);
        const request: EsRequest = { method: method as Method, path: url.pathname, params, query: url.searchParams, text, json: () => parseJsonBody(text) };
        const reply = await handler(ctx, request);
        if (reply === 'drop') return void req.socket.destroy();
        logged.status = reply.status;
        send(req, res, compatible, reply, !ctx.opensearch);
      } finally {
        if (isBulk) bulkInFlight -= 1;
      }
    } catch (error) {
      const e = error instanceof EsError ? error : new EsError(500, 'exception', (error as Error).message);
      if (!res.headersSent && !res.destroyed) {
        if (logged) logged.status = e.status;
        send(req, res, compatible, { status: e.status, body: e.body() }, !ctx.opensearch);
      }
    }
  }

  const listener = (req: IncomingMessage, res: ServerResponse) => void handle(req, res);
  const server = options.tls ? createTlsServer({ key: options.tls.key, cert: options.tls.cert }, listener) : createServer(listener);
  server.on('connection', (socket: Socket) => {
    if (down) return void socket.destroy();
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  return {
    url: `${options.tls ? 'https' : 'http'}://127.0.0.1:${port}`,
    port,
    requests,
    stats: ctx.stats,
    templates: ctx.store.templates,
    openConnections: () => sockets.size,
    documents(index) {
      const states = ctx.store.resolve(index);
      if (states.length === 1) return (states[0] as (typeof states)[number]).docs;
      return new Map(states.flatMap((s) => [...s.docs]));
    },
    indices: () => [...ctx.store.indices.keys()],
    mappings: (index) => ctx.store.resolve(index)[0]?.mappings,
    inject: (fault) => ctx.faults.inject(fault),
    clearFaults: () => ctx.faults.clear(),
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

const CHALLENGES = ['Basic realm="security", charset="UTF-8"', 'Bearer realm="security"', 'ApiKey'];

function unauthenticated(res: ServerResponse, authorization: string | undefined, path: string): EsError {
  res.setHeader('www-authenticate', CHALLENGES);
  const reason = authorization
    ? `unable to authenticate with provided credentials and anonymous access is not allowed for this request`
    : `missing authentication credentials for REST request [${path}]`;
  return new EsError(401, 'security_exception', reason, { header: { 'WWW-Authenticate': CHALLENGES } });
}

function parseJsonBody<T>(text: string): T {
  if (text.trim() === '') return {} as T;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    const position = /position (\d+)/.exec((error as Error).message)?.[1];
    throw new EsError(400, 'x_content_parse_exception', `[1:${position === undefined ? 1 : Number(position) + 1}] ${(error as Error).message}`);
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new EsError(400, 'parse_exception', 'request body must be a JSON object');
  return value as T;
}
