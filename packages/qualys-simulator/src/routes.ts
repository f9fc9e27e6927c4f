import { containerDetails } from './container-shapes.js';
import type { Context, PageReply } from './context.js';
import { toDetails } from './details.js';
import { imageExceptions, vulnAnswer } from './findings.js';
import { deliveryOf } from './faults.js';
import { BadRequest, errorBody, intParam, send } from './http.js';
import { QqlError } from './qql.js';
import { containerResource, imageResource } from './resources.js';
import { bulkPage } from './routes-bulk.js';
import { listPage } from './routes-images.js';
import { softwareAnswer } from './software.js';

const IMAGES_ROUTE = /^\/csapi\/v1\.3\/images(?:\/(list|[0-9a-f]{64})(\/vuln|\/exceptions|\/software)?)?\/?$/;
const CONTAINERS_ROUTE = /^\/csapi\/v1\.3\/containers(?:\/(list|[0-9a-f]{64}))?\/?$/;

/** Whether a request asks for a page of /images, /images/list, /containers or /containers/list (the requests page faults apply to). */
export function isDataPage(method: string | undefined, path: string): boolean {
  const m = IMAGES_ROUTE.exec(path) ?? CONTAINERS_ROUTE.exec(path);
  return method === 'GET' && m !== null && (m[1] === undefined || m[1] === 'list');
}

/** The authenticated, rate-limited /csapi routes; a bad filter or parameter is a 400 with its message. */
export function route(ctx: Context, method: string | undefined, path: string, query: Record<string, string>, reply: PageReply): void {
  const { res, headers } = reply;
  const image = IMAGES_ROUTE.exec(path);
  const container = image ? null : CONTAINERS_ROUTE.exec(path);
  if ((!image && !container) || method !== 'GET') return send(res, 404, errorBody(404, 'NOT_FOUND', `no route ${method} ${path}`), headers);

  ctx.dataRequests++;
  const crawl = ctx.options.updatesDuringCrawl;
  if (crawl && ctx.dataRequests % crawl.everyRequests === 0) {
    ctx.mutations.update(crawl.count);
    ctx.mutations.remove(crawl.removes ?? 0);
    ctx.mutations.add(crawl.adds ?? 0);
    ctx.containerMutations.update(crawl.containerUpdates ?? 0);
    ctx.containerMutations.remove(crawl.containerRemoves ?? 0);
    ctx.containerMutations.add(crawl.containerAdds ?? 0);
  }

  try {
    if (image) return routeImages(ctx, image, query, reply);
    const m = container as RegExpExecArray;
    if (m[1] === undefined) return listPage(ctx, containerResource(ctx), query, reply);
    if (m[1] === 'list') return bulkPage(ctx, containerResource(ctx), query, reply);
    const found = ctx.containers.get(m[1]);
    if (!found) return send(res, 404, errorBody(404, 'NOT_FOUND', `Container not found: ${m[1]}`), headers);
    return send(res, 200, containerDetails(found), headers, deliveryOf(reply.fault));
  } catch (error) {
    if (error instanceof QqlError || error instanceof BadRequest) return send(res, 400, errorBody(400, 'BAD_REQUEST', error.message), headers);
    throw error;
  }
}

function routeImages(ctx: Context, m: RegExpExecArray, query: Record<string, string>, reply: PageReply): void {
  const { res, headers } = reply;
  if (m[1] === undefined) return listPage(ctx, imageResource(ctx), query, reply);
  if (m[1] === 'list') return bulkPage(ctx, imageResource(ctx), query, reply);
  const image = ctx.store.get(m[1]);
  if (!image) return send(res, 404, errorBody(404, 'NOT_FOUND', `Image not found: ${m[1]}`), headers);
  if (m[2] === '/exceptions') {
    if (ctx.options.exceptionsForbidden) {
      return send(res, 403, { errorCode: '403 FORBIDDEN', message: 'Request Forbidden', timestamp: Date.now() }, headers);
    }
    const data = imageExceptions(image);
    return send(res, 200, { data, count: data.length, groups: null }, headers, deliveryOf(reply.fault));
  }
  if (m[2] === '/software') {
    // Paged like the lists when asked (pageNumber, pageSize up to 1000); `count` is the whole inventory's.
    const answer = softwareAnswer(image);
    const pageSize = intParam(query, 'pageSize', 1000, 1, 1000);
    const from = (intParam(query, 'pageNumber', 1, 1, Number.MAX_SAFE_INTEGER) - 1) * pageSize;
    return send(res, 200, { ...answer, data: (answer.data as unknown[]).slice(from, from + pageSize) }, headers, deliveryOf(reply.fault));
  }
  // Qualys documents applyException as defaulting to true: excepted findings are left out unless it is "false".
  const answer = m[2] ? vulnAnswer(image, query['applyException']?.toLowerCase() !== 'false') : toDetails(image);
  return send(res, 200, answer, headers, deliveryOf(reply.fault));
}
