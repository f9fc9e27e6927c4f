import { EsError, PlainEsError } from './es-errors.js';
import type { Faults } from './es-faults.js';
import type { Reply } from './es-http.js';
import type { Store } from './es-store.js';

export type Method = 'GET' | 'HEAD' | 'PUT' | 'POST' | 'DELETE';

/** A request as handlers see it: path parameters, query, and the body already decoded. */
export interface EsRequest {
  method: Method;
  /** The path, without the query. */
  path: string;
  params: Record<string, string>;
  query: URLSearchParams;
  text: string;
  /** The body as a JSON object; {} when there is none. */
  json<T = Record<string, unknown>>(): T;
}

export interface ServerStats {
  bulkRequests: number;
  bulkItems: number;
  maxConcurrentBulk: number;
  refreshes: number;
  /** _delete_by_query requests answered. */
  deleteByQuery?: number;
}

/** What handlers share: the data, the counters tests read, and the faults tests inject. */
export interface Context {
  store: Store;
  stats: ServerStats;
  faults: Faults;
  version: string;
  /** Answer as an OpenSearch node: no product header, `version.distribution: opensearch`. */
  opensearch: boolean;
  /** `_simulate_index` on an existing data stream fails with 500, as on Elasticsearch 7.10. */
  simulateIndexRejectsDataStreams: boolean;
}

/** A handler's answer, or `'drop'` to lose the connection without one. */
export type Handler = (ctx: Context, req: EsRequest) => Reply | 'drop' | Promise<Reply | 'drop'>;

/** A path pattern such as `{index}/_doc/{id}` with a handler per method. */
export interface Route {
  path: string;
  methods: Partial<Record<Method, Handler>>;
}

function match(pattern: string, segments: string[]): Record<string, string> | undefined {
  const parts = pattern === '' ? [] : pattern.split('/');
  if (parts.length !== segments.length) return undefined;
  const params: Record<string, string> = {};
  for (const [i, part] of parts.entries()) {
    const segment = segments[i] as string;
    if (part.startsWith('{')) {
      // An index expression never starts with '_' (except _all), so `/_foo` is an API, not an index.
      if (part === '{index}' && segment.startsWith('_') && segment !== '_all') return undefined;
      params[part.slice(1, -1)] = segment;
    } else if (part !== segment) return undefined;
  }
  return params;
}

/** Finds the handler for a path and method; a known path with the wrong method gets 405, as from a node. */
export function resolveRoute(routes: Route[], method: string, pathname: string): { handler: Handler; params: Record<string, string> } {
  const segments = pathname
    .split('/')
    .filter(Boolean)
    .map((s) => decodeURIComponent(s));
  for (const route of routes) {
    const params = match(route.path, segments);
    if (!params) continue;
    const handler = route.methods[method as Method] ?? (method === 'HEAD' ? route.methods.GET : undefined);
    if (handler) return { handler, params };
    const allowed = Object.keys(route.methods).join(', ');
    throw new PlainEsError(405, 'method_not_allowed', `Incorrect HTTP method for uri [${pathname}] and method [${method}], allowed: [${allowed}]`);
  }
  throw new EsError(400, 'illegal_argument_exception', `no handler found for uri [${pathname}] and method [${method}]`);
}
