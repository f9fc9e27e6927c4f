import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRandom } from './prng.js';
import { generateImages, makeImage, type RawImage } from './data.js';
import { toDetails } from './details.js';
import { parseQql, QqlError, type ParsedFilter } from './qql.js';
import { ImageStore, type SortField } from './store.js';

export type Fault =
  | { kind: 'status'; status: 500 | 502 | 503 | 504 | 429 | 409 | 401 | 400; count?: number; path?: string }
  | { kind: 'drop'; count?: number; path?: string }
  | { kind: 'truncate'; count?: number; path?: string }
  | { kind: 'garbage'; count?: number; path?: string }
  | { kind: 'latency'; ms: number; count?: number; path?: string }
  | { kind: 'expireTokens' };

export interface RateLimitBucket {
  limit: number;
  /** Window length in seconds; fractions allowed (handy in tests). */
  windowSec: number;
}

export interface SimulatorOptions {
  /** Interface to listen on. Default: "127.0.0.1". */
  host?: string;
  /** Port; 0 picks a free one. Default: 0. */
  port?: number;
  /** Images in the data set. Default: 1000. */
  images?: number;
  /** Seed of the data set. Default: 1. */
  seed?: number;
  /** Accepted username/password for POST /auth and Basic auth. Default: demo / demo-password. */
  credentials?: { username: string; password: string };
  /** JWT lifetime. Default: 14400 s (4 h, as Qualys). */
  tokenTtlSec?: number;
  /** Added before every /auth and /csapi answer. Default: 0. */
  latencyMs?: number;
  /** Fixed-window limits per bucket, or false for none. Default: Qualys' own (list 120/60 s, images 5000/60 s). */
  rateLimit?: { list: RateLimitBucket; images: RateLimitBucket } | false;
  /** Which headers a 429 carries. Default: "both". */
  rateLimitHeaders?: 'towait' | 'retry-after' | 'both' | 'none';
  /** What /images does for a page beyond maxResultWindow. Default: "error" (400). */
  capBehaviour?: 'error' | 'empty' | 'truncate';
  /** Records one /images query can reach. Default: 10000. */
  maxResultWindow?: number;
  /** How "no matches" is answered: 204 No Content or 200 with an empty list. Default: 204. */
  emptyResult?: 204 | 200;
  /** Bulk Link header: "doc" reproduces the documented malformed header (other host, http, "<" instead of ">"). Default: "doc". */
  linkStyle?: 'doc' | 'rfc';
  /** End of bulk data: a Link header reading "null", or none. Default: "null". */
  linkEnd?: 'null' | 'absent';
  /** Rescan images while a crawl runs: after every `everyRequests` data requests, `count` images get a new `updated`. Default: off. */
  updatesDuringCrawl?: { everyRequests: number; count: number } | false;
  /** Hostile strings in a few records (formula starters, CR/LF, NUL, unicode, a 40,000-char value). Default: false. */
  hostileValues?: boolean;
  /** Faults queued from the start. Default: none. */
  faults?: Fault[];
}

export interface RequestLogEntry {
  method: string;
  path: string;
  query: Record<string, string>;
  status: number;
  authKind: 'bearer' | 'basic' | 'none';
}

export interface QualysSimulator {
  readonly url: string;
  readonly port: number;
  readonly credentials: { username: string; password: string };
  readonly staticToken: string;
  readonly stats: { requests: number; byPath: Record<string, number>; status: Record<number, number>; rateLimited: number; logins: number; updates: number };
  readonly requests: ReadonlyArray<RequestLogEntry>;
  images(): ReadonlyArray<RawImage>;
  updateImages(count: number): string[];
  addImages(count: number): string[];
  removeImages(count: number): string[];
  inject(fault: Fault): void;
  setLatency(ms: number): void;
  close(): Promise<void>;
}

const MAX_LOG = 5000;
type Queued = { fault: Exclude<Fault, { kind: 'expireTokens' }>; left: number };

export async function startSimulator(options: SimulatorOptions = {}): Promise<QualysSimulator> {
  const host = options.host ?? '127.0.0.1';
  const credentials = options.credentials ?? { username: 'demo', password: 'demo-password' };
  const tokenTtlMs = (options.tokenTtlSec ?? 14_400) * 1000;
  const maxWindow = options.maxResultWindow ?? 10_000;
  const rateLimit = options.rateLimit === undefined ? { list: { limit: 120, windowSec: 60 }, images: { limit: 5000, windowSec: 60 } } : options.rateLimit;
  const secret = randomBytes(32);
  const staticToken = `static-${randomBytes(16).toString('hex')}`;
  const store = new ImageStore(generateImages(options.images ?? 1000, options.seed ?? 1, { hostileValues: options.hostileValues === true }));
  const mutate = createRandom((options.seed ?? 1) ^ 0x5eed);
  let latencyMs = options.latencyMs ?? 0;
  let tokensValidFrom = 0;
  let dataRequests = 0;
  const queue: Queued[] = [];
  const log: RequestLogEntry[] = [];
  const windows = new Map<string, { start: number; used: number }>();
  const stats = { requests: 0, byPath: {} as Record<string, number>, status: {} as Record<number, number>, rateLimited: 0, logins: 0, updates: 0 };

  const inject = (fault: Fault) => {
    if (fault.kind === 'expireTokens') tokensValidFrom = Date.now() + 1;
    else queue.push({ fault, left: fault.count ?? 1 });
  };
  for (const f of options.faults ?? []) inject(f);

  const issueJwt = (): string => {
    const iat = Date.now();
    const enc = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
    const head = `${enc({ alg: 'HS256', typ: 'JWT' })}.${enc({ sub: credentials.username, iat: Math.floor(iat / 1000), iatMs: iat, exp: Math.floor((iat + tokenTtlMs) / 1000), expMs: iat + tokenTtlMs, modulesAllowed: ['CS', 'VM'] })}`;
    return `${head}.${createHmac('sha256', secret).update(head).digest('base64url')}`;
  };
  const jwtState = (token: string): 'ok' | 'expired' | 'invalid' => {
    const [h, p, s] = token.split('.');
    if (!h || !p || !s) return 'invalid';
    const expected = createHmac('sha256', secret).update(`${h}.${p}`).digest();
    const got = Buffer.from(s, 'base64url');
    if (got.length !== expected.length || !timingSafeEqual(got, expected)) return 'invalid';
    const claims = JSON.parse(Buffer.from(p, 'base64url').toString()) as { iatMs: number; expMs: number };
    return Date.now() >= claims.expMs || claims.iatMs < tokensValidFrom ? 'expired' : 'ok';
  };

  const updateImages = (count: number): string[] => {
    const all = store.all();
    if (all.length === 0) return [];
    let newest = Date.now();
    for (const i of all) newest = Math.max(newest, Number(i.updated) + 1);
    const shas: string[] = [];
    for (let k = 0; k < count; k++) {
      const image = all[mutate.int(0, all.length - 1)] as RawImage;
      image.updated = String(newest++);
      image.lastVmScanDate = image.updated;
      shas.push(image.sha);
    }
    stats.updates += shas.length;
    store.touched();
    return shas;
  };
  const addImages = (count: number): string[] =>
    Array.from({ length: count }, (_, k) => {
      const image = makeImage(mutate, store.size + k, Date.now() - mutate.int(0, 1000), Date.now(), false);
      store.add(image);
      return image.sha;
    });
  const removeImages = (count: number): string[] => {
    const all = store.all();
    return Array.from({ length: Math.min(count, all.length) }, () => {
      const image = all.splice(mutate.int(0, all.length - 1), 1)[0] as RawImage;
      store.remove(image.sha);
      return image.sha;
    });
  };

  const takeFault = (path: string) => {
    const i = queue.findIndex((q) => (q.fault.path ? path.startsWith(q.fault.path) : path.startsWith('/csapi')));
    if (i < 0) return undefined;
    const q = queue[i] as Queued;
    if (--q.left <= 0) queue.splice(i, 1);
    return q.fault;
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (!res.headersSent) send(res, 500, { errorCode: '500 INTERNAL_SERVER_ERROR', message: String(error), timestamp: Date.now() });
      else res.destroy();
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://simulator');
    const path = url.pathname;
    const query = Object.fromEntries(url.searchParams);
    const authKind: RequestLogEntry['authKind'] = /^Bearer /i.test(req.headers.authorization ?? '') ? 'bearer' : /^Basic /i.test(req.headers.authorization ?? '') ? 'basic' : 'none';
    stats.requests++;
    stats.byPath[path] = (stats.byPath[path] ?? 0) + 1;
    res.on('finish', () => {
      stats.status[res.statusCode] = (stats.status[res.statusCode] ?? 0) + 1;
      log.push({ method: req.method ?? 'GET', path, query, status: res.statusCode, authKind });
      if (log.length > MAX_LOG) log.splice(0, log.length - MAX_LOG);
    });
    const body = await readBody(req);

    let fault = takeFault(path);
    let extraLatency = 0;
    while (fault?.kind === 'latency') {
      extraLatency += fault.ms;
      fault = takeFault(path);
    }
    const delay = latencyMs + extraLatency;
    if (delay > 0) await new Promise((r) => setTimeout(r, delay));
    if (fault) {
      if (fault.kind === 'drop') return void req.socket.destroy();
      if (fault.kind === 'garbage') {
        res.writeHead(200, { 'content-type': 'text/html' });
        return void res.end('<html><body>Gateway error</body></html>');
      }
      if (fault.kind === 'status') {
        const headers = fault.status === 429 || fault.status === 409 ? rateHeaders(0.05) : {};
        return send(res, fault.status, { errorCode: `${fault.status} SIMULATED`, message: `simulated ${fault.status}`, timestamp: Date.now() }, headers);
      }
    }
    const truncate = fault?.kind === 'truncate';

    if (path === '/auth') {
      if (req.method !== 'POST') return send(res, 405, { message: 'use POST' });
      const form = new URLSearchParams(body);
      const username = form.get('username');
      const password = form.get('password');
      if (!username || !password) return send(res, 400, { errorCode: '400 BAD_REQUEST', message: 'username and password are required' });
      if (username !== credentials.username || password !== credentials.password) {
        return send(res, 401, { errorCode: '401 UNAUTHORIZED', message: 'Invalid username or password', timestamp: Date.now() });
      }
      stats.logins++;
      res.writeHead(201, { 'content-type': 'text/plain' });
      return void res.end(issueJwt());
    }

    if (!path.startsWith('/csapi/')) return send(res, 404, { errorCode: '404 NOT_FOUND', message: `no route ${path}` });
    const denied = checkAuth(req.headers.authorization);
    if (denied) return send(res, 401, { errorCode: '401 UNAUTHORIZED', message: denied, timestamp: Date.now() });

    const bucket = path.endsWith('/images/list') || path.endsWith('/containers/list') ? 'list' : 'images';
    const limitHeaders = takeBudget(bucket);
    if (limitHeaders === 'exceeded') return;

    const m = /^\/csapi\/v1\.3\/images(?:\/(list|[0-9a-f]{64}))?\/?$/.exec(path);
    if (!m || req.method !== 'GET') return send(res, 404, { errorCode: '404 NOT_FOUND', message: `no route ${req.method} ${path}` }, limitHeaders);

    if (++dataRequests && options.updatesDuringCrawl && dataRequests % options.updatesDuringCrawl.everyRequests === 0) {
      updateImages(options.updatesDuringCrawl.count);
    }

    try {
      if (m[1] === undefined) return listImages(res, query, limitHeaders, truncate);
      if (m[1] === 'list') return bulkImages(res, query, limitHeaders, truncate);
      const image = store.get(m[1]);
      if (!image) return send(res, 404, { errorCode: '404 NOT_FOUND', message: `Image not found: ${m[1]}`, timestamp: Date.now() }, limitHeaders);
      return send(res, 200, toDetails(image), limitHeaders, truncate);
    } catch (error) {
      if (error instanceof QqlError || error instanceof BadRequest) {
        return send(res, 400, { errorCode: '400 BAD_REQUEST', message: error.message, timestamp: Date.now() }, limitHeaders);
      }
      throw error;
    }

    function checkAuth(header: string | undefined): string | undefined {
      if (!header) return 'Authentication required';
      const [scheme, value = ''] = header.split(' ', 2);
      if (/^basic$/i.test(scheme ?? '')) {
        return Buffer.from(value, 'base64').toString('utf8') === `${credentials.username}:${credentials.password}` ? undefined : 'Invalid credentials';
      }
      if (!/^bearer$/i.test(scheme ?? '')) return 'Unsupported authorization scheme';
      if (value === staticToken) return undefined;
      const state = jwtState(value);
      return state === 'ok' ? undefined : state === 'expired' ? 'JWT expired' : 'Invalid token';
    }

    function takeBudget(name: 'list' | 'images'): Record<string, string> | 'exceeded' {
      if (!rateLimit) return {};
      const { limit, windowSec } = rateLimit[name];
      const now = Date.now();
      let w = windows.get(name);
      if (!w || now - w.start >= windowSec * 1000) windows.set(name, (w = { start: now, used: 0 }));
      const base = { 'x-ratelimit-limit': String(limit), 'x-ratelimit-window-sec': String(windowSec) };
      if (w.used >= limit) {
        stats.rateLimited++;
        const waitSec = Math.max(0.001, (w.start + windowSec * 1000 - now) / 1000);
        send(res, 429, { errorCode: '429 TOO_MANY_REQUESTS', message: 'API rate limit exceeded', timestamp: now }, { ...base, 'x-ratelimit-remaining': '0', ...rateHeaders(waitSec) });
        return 'exceeded';
      }
      w.used++;
      return { ...base, 'x-ratelimit-remaining': String(limit - w.used) };
    }
  }

  function rateHeaders(waitSec: number): Record<string, string> {
    // Integer seconds when the windows are whole seconds (as Qualys sends), fractions for sub-second test windows.
    const value = waitSec >= 1 ? String(Math.ceil(waitSec)) : waitSec.toFixed(3);
    const style = options.rateLimitHeaders ?? 'both';
    return {
      ...(style === 'towait' || style === 'both' ? { 'x-ratelimit-towait-sec': value } : {}),
      ...(style === 'retry-after' || style === 'both' ? { 'retry-after': value } : {}),
    };
  }

  function listImages(res: ServerResponse, q: Record<string, string>, headers: Record<string, string>, truncate: boolean): void {
    const pageNumber = intParam(q, 'pageNumber', 1, 1, Number.MAX_SAFE_INTEGER);
    const pageSize = intParam(q, 'pageSize', 50, 1, 1000);
    const [sortField, direction] = (q['sort'] ?? 'created:desc').split(':');
    if (!['created', 'updated', 'lastScanned', 'riskScore'].includes(sortField ?? '') || !['asc', 'desc'].includes(direction ?? '')) {
      throw new BadRequest(`Invalid sort "${q['sort']}": use <created|updated|lastScanned|riskScore>:<asc|desc>`);
    }
    const offset = (pageNumber - 1) * pageSize;
    let limit = pageSize;
    if (offset + pageSize > maxWindow) {
      const cap = options.capBehaviour ?? 'error';
      if (cap === 'error') throw new BadRequest(`The maximum number of image records that can be provided by this API is ${maxWindow}. Use the Bulk API (/csapi/v1.3/images/list) to fetch more.`);
      limit = cap === 'empty' ? 0 : Math.max(0, maxWindow - offset);
    }
    const result = store.query(filterOf(q), sortField as SortField, direction === 'desc', offset, limit);
    const items = result.items;
    if (items.length === 0 && (options.emptyResult ?? 204) === 204 && result.count === 0) {
      res.writeHead(204, headers);
      return void res.end();
    }
    send(res, 200, { data: items, count: result.count }, headers, truncate);
  }

  function bulkImages(res: ServerResponse, q: Record<string, string>, headers: Record<string, string>, truncate: boolean): void {
    if (q['sort'] !== undefined || q['pageNumber'] !== undefined) throw new BadRequest('The bulk API takes no sort or pageNumber; follow the Link header');
    const limit = intParam(q, 'limit', 250, 1, 250);
    const cursor = q['paginationQuery'];
    const filter = [q['filter'], cursor].filter((s): s is string => !!s && s.trim() !== '').map((s) => `(${s})`).join(' and ');
    const result = store.query(filter ? parseQql(filter) : undefined, 'updated', false, 0, limit);
    const items = result.items;
    const out: Record<string, string> = { ...headers };
    const last = items[items.length - 1];
    if (last && items.length === limit) {
      // Keyset on `updated`, excluding the uuids already returned at the last value, as the real cursor does.
      const lastUpdated = last.updated;
      const previous = cursor && new RegExp(`updated>=${lastUpdated}\\b`).test(cursor) ? (/not uuid: \[([^\]]*)\]/i.exec(cursor)?.[1] ?? '').split(',').map((s) => s.trim()).filter(Boolean) : [];
      const tail = items.filter((i) => i.updated === lastUpdated).map((i) => i.uuid);
      const next = `updated>=${lastUpdated} AND not uuid: [${[...previous, ...tail].join(',')}]`;
      const params = new URLSearchParams({ limit: String(limit), paginationQuery: next }).toString();
      out['link'] = (options.linkStyle ?? 'doc') === 'doc'
        ? `<http://qualysapi.qualys.com/csapi/v1.3/images/list?${params}<;rel=next`
        : `<${simulator.url}/csapi/v1.3/images/list?${params}>; rel="next"`;
    } else if ((options.linkEnd ?? 'null') === 'null') out['link'] = 'null';
    send(res, 200, { data: items.map(toDetails) }, out, truncate);
  }

  function filterOf(q: Record<string, string>): ParsedFilter | undefined {
    const f = q['filter'];
    return f && f.trim() !== '' ? parseQql(f) : undefined;
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const simulator: QualysSimulator = {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
    port,
    credentials,
    staticToken,
    stats,
    requests: log,
    images: () => store.all(),
    updateImages,
    addImages,
    removeImages,
    inject,
    setLatency: (ms) => void (latencyMs = ms),
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
  return simulator;
}

class BadRequest extends Error {}

function intParam(q: Record<string, string>, name: string, fallback: number, min: number, max: number): number {
  const raw = q[name];
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max) throw new BadRequest(`Invalid ${name} "${raw}": valid values are ${min} to ${max}`);
  return n;
}

function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}, truncate = false): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(text)), ...headers });
  if (truncate) {
    // Half the promised body, then the connection dies: a transfer cut mid-way.
    res.write(text.slice(0, Math.floor(text.length / 2)));
    setTimeout(() => res.destroy(), 5);
    return;
  }
  res.end(text);
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let data = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => (data += c));
    req.on('end', () => resolve(data));
    req.on('error', reject);
  });
}
