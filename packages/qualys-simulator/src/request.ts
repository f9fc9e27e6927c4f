import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Context, RequestLogEntry } from './context.js';
import { serveReplacingFault } from './faults.js';
import { errorBody, readBody, send } from './http.js';
import type { BucketName } from './rate-limit.js';
import { isDataPage, route } from './routes.js';

const MAX_LOG = 5000;

/** Qualys' separate budgets: each bulk API has its own, and so have the other calls of each resource. */
function bucketOf(path: string): BucketName {
  if (path.endsWith('/images/list')) return 'list';
  if (path.endsWith('/containers/list')) return 'containersList';
  return /^\/csapi\/v1\.3\/containers(\/|$)/.test(path) ? 'containers' : 'images';
}

/**
 * One request, in the order the real gateway meets it: counted and logged, faults and latency, login, then for
 * /csapi authentication, the rate limit and the route.
 */
export async function handleRequest(ctx: Context, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://simulator');
  const path = url.pathname;
  const query = Object.fromEntries(url.searchParams);
  const authorization = req.headers.authorization ?? '';
  const authKind: RequestLogEntry['authKind'] = /^Bearer /i.test(authorization) ? 'bearer' : /^Basic /i.test(authorization) ? 'basic' : 'none';
  const { stats, log } = ctx;
  const at = Date.now();
  stats.requests++;
  stats.byPath[path] = (stats.byPath[path] ?? 0) + 1;
  res.on('finish', () => {
    stats.status[res.statusCode] = (stats.status[res.statusCode] ?? 0) + 1;
    log.push({ method: req.method ?? 'GET', path, query, status: res.statusCode, authKind, at });
    if (log.length > MAX_LOG) log.splice(0, log.length - MAX_LOG);
  });
  const body = await readBody(req);
  // Held before the faults are taken, so a fault the test injects while the request waits applies to it.
  await ctx.gate.pass();

  const dataPage = isDataPage(req.method, path);
  let fault = ctx.faults.take(path, dataPage);
  let extraLatency = 0;
  while (fault?.kind === 'latency') {
    extraLatency += fault.ms;
    fault = ctx.faults.take(path, dataPage);
  }
  const delay = ctx.latencyMs + extraLatency;
  if (delay > 0) await new Promise((r) => setTimeout(r, delay));
  if (serveReplacingFault(fault, req, res, ctx.options.rateLimitHeaders ?? 'both')) return;
  if (fault?.kind === 'removeImage') {
    const sha = /^\/csapi\/v1\.3\/images\/([0-9a-f]{64})/.exec(path)?.[1];
    if (sha) ctx.mutations.removeSha(sha);
  }

  if (path === '/auth') {
    if (ctx.auth.login(req.method, body, res)) stats.logins++;
    return;
  }
  if (!path.startsWith('/csapi/')) return send(res, 404, { errorCode: '404 NOT_FOUND', message: `no route ${path}` });
  const denied = ctx.auth.check(req.headers.authorization);
  if (denied) return send(res, 401, errorBody(401, 'UNAUTHORIZED', denied));

  const bucket = bucketOf(path);
  const decision = ctx.limiter.take(bucket, Date.now());
  if (!decision.allowed) {
    stats.rateLimited++;
    return send(res, 429, errorBody(429, 'TOO_MANY_REQUESTS', 'API rate limit exceeded'), decision.headers);
  }
  stats.allowedByBucket[bucket]++;
  // What fault is left shapes the answer: truncate any /csapi answer, page faults (queued to data pages only) the page.
  route(ctx, req.method, path, query, { res, headers: decision.headers, fault });
}
