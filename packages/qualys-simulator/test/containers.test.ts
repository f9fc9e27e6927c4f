import { describe, expect, it } from 'vitest';
import type { QualysSimulator, RawContainer } from '../src/index.js';
import { cursorOf, get, useSimulator } from './support.js';

const start = useSimulator({ images: 100, containers: 300, rateLimit: false });
const CONTAINERS = '/csapi/v1.3/containers';
const BULK = '/csapi/v1.3/containers/list';

const shasOf = (r: { body?: { data: Array<Record<string, unknown>> | null } | undefined }) => (r.body?.data ?? []).map((d) => String(d['sha']));

/** Follows the /containers/list Link cursor to the end. */
async function crawlContainers(s: QualysSimulator, limit: number, extra: Record<string, string> = {}) {
  const shas: string[] = [];
  const links: string[] = [];
  const items: Array<Record<string, unknown>> = [];
  let cursor: string | undefined;
  for (let i = 0; i < 1000; i++) {
    const r = await get(s, BULK, { limit, ...extra, ...(cursor ? { paginationQuery: cursor } : {}) });
    items.push(...(r.body?.data ?? []));
    shas.push(...shasOf(r));
    const link = r.headers.get('link');
    links.push(link ?? '(absent)');
    cursor = cursorOf(link);
    if (!cursor) break;
  }
  return { shas, links, items };
}

describe('GET /csapi/v1.3/containers', () => {
  it('pages by number (created:asc) over every container exactly once, with count; past the cap the 400 names /containers/list', async () => {
    const s = await start({ containers: 150, maxResultWindow: 200 });
    const shas: string[] = [];
    for (let page = 1; page <= 3; page++) {
      const r = await get(s, CONTAINERS, { pageSize: 50, pageNumber: page, sort: 'created:asc' });
      expect(r.body?.count).toBe(150);
      shas.push(...shasOf(r));
    }
    expect(shas).toHaveLength(150);
    expect(new Set(shas)).toEqual(new Set(s.containers().map((c) => c.sha)));
    const created = shas.map((sha) => Number(s.containers().find((c) => c.sha === sha)?.created));
    expect(created).toEqual([...created].sort((a, b) => a - b));
    const past = await get(s, CONTAINERS, { pageSize: 50, pageNumber: 5, sort: 'created:asc' });
    expect(past.status).toBe(400);
    expect(past.body?.message).toBe(
      'The maximum number of container records that can be provided by this API is 200. Use the Bulk API (/csapi/v1.3/containers/list) to fetch more.',
    );
    expect((await get(s, CONTAINERS, { sort: 'riskScore:asc' })).status).toBe(400);
    expect((await get(s, CONTAINERS, { pageSize: 1001 })).status).toBe(400);
  });

  it('filters by state, imageSha, imageId, sha, containerId, name, dates and `not uuid`', async () => {
    const s = await start();
    const all = s.containers();
    const some = all.find((c) => c.imageSha !== null && c.state === 'RUNNING') as RawContainer;
    const countOf = async (filter: string) => (await get(s, CONTAINERS, { filter, pageSize: 1000 })).body?.count ?? 0;
    expect(await countOf('state:RUNNING')).toBe(all.filter((c) => c.state === 'RUNNING').length);
    expect(await countOf('state:STOPPED or state:DELETED')).toBe(all.filter((c) => c.state === 'STOPPED' || c.state === 'DELETED').length);
    expect(await countOf(`imageSha:${some.imageSha}`)).toBe(all.filter((c) => c.imageSha === some.imageSha).length);
    expect(await countOf(`imageId:${some.imageId}`)).toBe(all.filter((c) => c.imageId === some.imageId).length);
    expect(await countOf(`sha:${some.sha}`)).toBe(1);
    expect(await countOf(`containerId:${some.containerId}`)).toBe(1);
    expect(await countOf(`name:\`${some.name}\``)).toBe(all.filter((c) => c.name === some.name).length);
    const middle = [...all].map((c) => Number(c.updated)).sort((a, b) => a - b)[150] as number;
    expect(await countOf(`updated>=${middle}`)).toBe(all.filter((c) => Number(c.updated) >= middle).length);
    expect(await countOf(`created:[0 ... ${middle}] and state:RUNNING`)).toBe(all.filter((c) => Number(c.created) <= middle && c.state === 'RUNNING').length);
    expect(await countOf(`not uuid: [${all[0]?.uuid}, ${all[1]?.uuid}]`)).toBe(298);
    const r = await get(s, CONTAINERS, { filter: `imageSha:${some.imageSha}`, pageSize: 1000 });
    expect(r.body?.data.every((c) => c['imageSha'] === some.imageSha)).toBe(true);
    expect((await get(s, CONTAINERS, { filter: 'riskScore>1' })).status).toBe(400); // an image field
  });

  it('answers no matches with 204, or 200 with an empty list under emptyResult 200', async () => {
    const s = await start();
    expect((await get(s, CONTAINERS, { filter: 'state:NOSUCH' })).status).toBe(204);
    await s.close();
    const t = await start({ emptyResult: 200 });
    expect((await get(t, CONTAINERS, { filter: 'state:NOSUCH' })).body).toEqual({ data: [], count: 0 });
  });
});

describe('GET /csapi/v1.3/containers/list', () => {
  it.each(['doc', 'rfc'] as const)('walks every container once by the %s-style Link cursor, pointing at /containers/list', async (linkStyle) => {
    const s = await start({ linkStyle });
    const { shas, links, items } = await crawlContainers(s, 40);
    expect(shas).toHaveLength(300);
    expect(new Set(shas).size).toBe(300);
    const link =
      linkStyle === 'doc'
        ? /^<http:\/\/qualysapi\.qualys\.com\/csapi\/v1\.3\/containers\/list\?limit=40&paginationQuery=updated%3E%3D\d+\+AND\+not\+uuid%3A\+%5B.*%5D<;rel=next$/
        : /^<http:\/\/127\.0\.0\.1:\d+\/csapi\/v1\.3\/containers\/list\?limit=40&paginationQuery=updated%3E%3D\d+.*>; rel="next"$/;
    expect(links[0]).toMatch(link);
    expect(links.at(-1)).toBe('null');
    // Bulk items carry their image's findings as an array cut to qid, result and software, not counts.
    expect(items.every((c) => Array.isArray(c['vulnerabilities']))).toBe(true);
    const finding = items.flatMap((c) => c['vulnerabilities'] as object[])[0];
    expect(Object.keys(finding ?? {}).sort()).toEqual(['qid', 'result', 'software']);
    // Containers known only by digest still carry their image's findings.
    expect(items.some((c) => c['imageSha'] === null && (c['vulnerabilities'] as unknown[]).length > 0)).toBe(true);
  });

  it('crosses `updated` ties with the cursor, filters, counts under bulkCount, and refuses sort', async () => {
    const s = await start({ dialect: { bulkCount: true } });
    const updated = s.containers().map((c) => c.updated);
    expect(new Set(updated).size).toBeLessThan(updated.length); // ties exist
    const running = s.containers().filter((c) => c.state === 'RUNNING');
    const { shas } = await crawlContainers(s, 7, { filter: 'state:RUNNING' });
    expect([...shas].sort()).toEqual(running.map((c) => c.sha).sort());
    expect((await get(s, BULK, { limit: 7, filter: 'state:RUNNING' })).body?.count).toBe(running.length);
    expect((await get(s, BULK, { sort: 'created:asc' })).status).toBe(400);
    expect((await get(s, BULK, { limit: 251 })).status).toBe(400);
  });
});

describe('GET /csapi/v1.3/containers/{sha}', () => {
  it("has the details quirks of Qualys' sample; an unknown sha is a 404", async () => {
    const s = await start();
    const c = s.containers().find((x) => x.cluster !== null && x.vulnerabilities !== null) as RawContainer;
    const r = await get(s, `${CONTAINERS}/${c.sha}`);
    expect(r.status).toBe(200);
    const d = r.body as unknown as Record<string, unknown>;
    expect(d).toMatchObject({ sha: c.sha, containerId: c.sha.slice(0, 12), source: 'CLUSTER', command: 'null', cluster: c.cluster });
    expect(d['vulnerabilities']).toEqual([c.vulnerabilities]);
    expect(Array.isArray(d['hostArchitecture'])).toBe(true);
    expect(typeof d['isVulnPropagated']).toBe('boolean');
    const propagated = await Promise.all(
      s
        .containers()
        .slice(0, 40)
        .map(async (x) => (await get(s, `${CONTAINERS}/${x.sha}`)).body),
    );
    expect(propagated.some((p) => typeof (p as Record<string, unknown> | undefined)?.['vulnPropagationDate'] === 'string')).toBe(true);
    const missing = await get(s, `${CONTAINERS}/${'0'.repeat(64)}`);
    expect(missing.status).toBe(404);
    expect(missing.body).toMatchObject({ errorCode: '404 NOT_FOUND', message: expect.stringContaining('Container not found') });
  });
});

describe('the container data set', () => {
  it('is skewed: most images run nowhere, the top 2% hold a large share, a few run in hundreds', async () => {
    const s = await start({ images: 200, containers: 400 });
    const per = new Map<string, number>();
    for (const c of s.containers()) per.set(c.imageId, (per.get(c.imageId) ?? 0) + 1);
    const idle = s.images().filter((i) => !per.has(i.imageId)).length;
    expect(idle / 200).toBeGreaterThanOrEqual(0.6);
    const top = [...per.values()].sort((a, b) => b - a);
    expect((top.slice(0, 4).reduce((a, b) => a + b, 0) / 400) * 100).toBeGreaterThanOrEqual(30);
    await s.close();
    const big = await start({ images: 1000, containers: undefined });
    expect(big.containers()).toHaveLength(2000); // the default: twice the images
    const bigPer = new Map<string, number>();
    for (const c of big.containers()) bigPer.set(c.imageId, (bigPer.get(c.imageId) ?? 0) + 1);
    expect(Math.max(...bigPer.values())).toBeGreaterThanOrEqual(100);
  });

  it('has Kubernetes context as cluster.k8s.pod and, on some, only as io.kubernetes.* labels; plain Docker; null imageSha on a few', async () => {
    const s = await start({ images: 300, containers: 600 });
    const all = s.containers();
    const label = (c: RawContainer, key: string) => c.label.find((l) => l.key === key)?.value;
    const clustered = all.filter((c) => c.cluster !== null);
    expect(clustered.length / all.length).toBeGreaterThan(0.4);
    for (const c of clustered) {
      expect(c.cluster).toMatchObject({ type: 'K8S', k8s: { pod: { namespace: expect.any(String), controller: { type: expect.any(String) } } } });
      expect(label(c, 'io.kubernetes.container.name')).toBeDefined();
    }
    const labelsOnly = all.filter((c) => c.cluster === null && label(c, 'io.kubernetes.pod.namespace') !== undefined);
    expect(labelsOnly.length).toBeGreaterThan(0);
    for (const c of labelsOnly)
      for (const key of ['io.kubernetes.pod.name', 'io.kubernetes.pod.uid', 'io.kubernetes.container.name']) expect(label(c, key)).toBeDefined();
    const docker = all.filter((c) => c.cluster === null && label(c, 'io.kubernetes.container.name') === undefined);
    expect(docker.length).toBeGreaterThan(0);
    expect(docker.every((c) => c.name.startsWith('/'))).toBe(true);
    expect(new Set(clustered.map((c) => c.cluster?.name)).size).toBeGreaterThanOrEqual(2);
    expect(new Set(clustered.map((c) => c.cluster?.k8s.pod.namespace)).size).toBeGreaterThanOrEqual(6);
    const byDigest = all.filter((c) => c.imageSha === null);
    expect(byDigest.length).toBeGreaterThan(0);
    expect(byDigest.every((c) => c.imageUuid === null && c.imageDigest.startsWith('sha256:'))).toBe(true);
    expect(new Set(all.map((c) => c.state))).toEqual(new Set(['RUNNING', 'STOPPED', 'DELETED', 'EXITED', 'PAUSED']));
    expect(all.filter((c) => c.state === 'RUNNING').length / all.length).toBeGreaterThan(0.5);
    expect(all.every((c) => Number(c.updated) >= Number(c.created) && c.containerId === c.sha.slice(0, 12))).toBe(true);
    expect(all.every((c) => typeof c.created === 'string' && typeof c.updated === 'string' && typeof c.stateChanged === 'string')).toBe(true);
  });

  it('is the same for the same seed and leaves the images as they were', async () => {
    const a = await start({ images: 100, seed: 7, containers: 0 });
    const images = JSON.stringify(a.images());
    await a.close();
    const b = await start({ images: 100, seed: 7 });
    expect(JSON.stringify(b.images())).toBe(images);
    const first = JSON.stringify(b.containers());
    await b.close();
    const c = await start({ images: 100, seed: 7 });
    expect(JSON.stringify(c.containers())).toBe(first);
  });
});

describe('container rate limits', () => {
  it('has its own buckets: /containers calls take nothing from the image buckets, and the reverse', async () => {
    const s = await start({
      rateLimit: {
        list: { limit: 1, windowSec: 60 },
        images: { limit: 1, windowSec: 60 },
        containersList: { limit: 1, windowSec: 60 },
        containers: { limit: 2, windowSec: 60 },
      },
    });
    const sha = s.containers()[0]?.sha as string;
    expect((await get(s, CONTAINERS)).status).toBe(200);
    expect((await get(s, `${CONTAINERS}/${sha}`)).status).toBe(200);
    expect((await get(s, CONTAINERS)).status).toBe(429);
    expect((await get(s, BULK)).status).toBe(200);
    expect((await get(s, BULK)).status).toBe(429);
    expect((await get(s, '/csapi/v1.3/images')).status).toBe(200);
    expect((await get(s, '/csapi/v1.3/images/list')).status).toBe(200);
    expect(s.stats.allowedByBucket).toEqual({ list: 1, images: 1, containersList: 1, containers: 2 });
  });

  it("defaults the container buckets to Qualys' own values when only the image buckets are given", async () => {
    const s = await start({ rateLimit: { list: { limit: 1, windowSec: 60 }, images: { limit: 1, windowSec: 60 } } });
    expect((await get(s, CONTAINERS)).headers.get('x-ratelimit-limit')).toBe('5000');
    expect((await get(s, BULK)).headers.get('x-ratelimit-limit')).toBe('120');
  });
});

describe('dialects and faults on the container endpoints', () => {
  it('reject, count "absent", epochSeconds and ignoreSort apply to /containers and /containers/list as to images', async () => {
    const s = await start({ dialect: { reject: ['compare', 'sort:created'], count: 'absent' } });
    for (const path of [CONTAINERS, BULK]) {
      const r = await get(s, path, { filter: 'updated>=0' });
      expect([r.status, r.body?.errorCode], path).toEqual([400, '400 BAD_REQUEST']);
      expect(r.body?.message).toMatch(/^Invalid filter/);
    }
    expect((await get(s, CONTAINERS, { sort: 'created:asc' })).status).toBe(400);
    const page = await get(s, CONTAINERS, { sort: 'updated:asc', filter: `updated:[0 ... 9999999999999]` });
    expect(page.status).toBe(200);
    expect(page.body).not.toHaveProperty('count');
    // the bulk cursor is the server's own: a crawl still gets every container
    expect(new Set((await crawlContainers(s, 50)).shas).size).toBe(300);
    await s.close();

    const t = await start({ dialect: { epochSeconds: true, ignoreSort: true } });
    const ms = [...t.containers()].map((c) => Number(c.updated)).sort((a, b) => a - b)[100] as number;
    const sec = Math.floor(ms / 1000);
    expect((await get(t, CONTAINERS, { filter: `updated>=${ms}` })).status).toBe(204);
    expect((await get(t, CONTAINERS, { filter: `updated>=${sec}` })).body?.count).toBe(t.containers().filter((c) => Number(c.updated) >= sec * 1000).length);
    const uuids = (await get(t, CONTAINERS, { sort: 'created:desc', pageSize: 1000 })).body?.data.map((c) => String(c['uuid'])) ?? [];
    expect(uuids).toEqual([...uuids].sort());
  });

  it('page faults apply to /containers and /containers/list pages, not to details', async () => {
    const s = await start();
    const full = await get(s, CONTAINERS, { pageSize: 20, sort: 'created:asc' });
    s.inject({ kind: 'shortPage', path: CONTAINERS });
    const sha = s.containers()[0]?.sha as string;
    expect((await get(s, `${CONTAINERS}/${sha}`)).status).toBe(200); // details do not take it
    const short = await get(s, CONTAINERS, { pageSize: 20, sort: 'created:asc' });
    expect(shasOf(short)).toEqual(shasOf(full).slice(0, 10));
    s.inject({ kind: 'emptyPage', shape: 'empty', path: BULK });
    const empty = await get(s, BULK, { limit: 50 });
    expect(empty.body).toEqual({ data: [] });
    expect(cursorOf(empty.headers.get('link'))).toBe('updated>=0');
  });
});

describe('containers changing during a crawl', () => {
  it('updates, adds and removes containers every N data requests when asked; the crawl sees every container at its end', async () => {
    const s = await start({
      linkStyle: 'rfc',
      updatesDuringCrawl: { everyRequests: 2, count: 0, containerUpdates: 6, containerAdds: 3, containerRemoves: 2 },
    });
    const before = new Map(s.containers().map((c) => [c.sha, { ...c }]));
    const { shas } = await crawlContainers(s, 50);
    const rounds = Math.floor(s.stats.requests / 2);
    expect(s.stats).toMatchObject({ containerUpdates: 6 * rounds, containerAdds: 3 * rounds, containerRemoves: 2 * rounds, updates: 0, adds: 0 });
    expect(s.containers()).toHaveLength(300 + rounds);
    const delivered = new Set(shas);
    expect(s.containers().filter((c) => !delivered.has(c.sha))).toEqual([]);
    expect(shas.length).toBeGreaterThan(delivered.size); // changed containers come again, as images do
    const changed = s.containers().filter((c) => before.has(c.sha) && before.get(c.sha)?.updated !== c.updated);
    expect(changed.length).toBeGreaterThan(0);
    expect(changed.some((c) => c.state !== before.get(c.sha)?.state && c.stateChanged === c.updated)).toBe(true);
    const newest = Math.max(...[...before.values()].map((c) => Number(c.updated)));
    expect(changed.every((c) => Number(c.updated) > newest)).toBe(true);
  });

  it('leaves an image crawl exactly as it was: container changes do not touch the images or their random stream', async () => {
    const crawlImages = async (s: QualysSimulator) => {
      const shas: string[] = [];
      let cursor: string | undefined;
      do {
        const r = await get(s, '/csapi/v1.3/images/list', { limit: 50, ...(cursor ? { paginationQuery: cursor } : {}) });
        shas.push(...shasOf(r));
        cursor = cursorOf(r.headers.get('link'));
      } while (cursor);
      return { shas, images: s.images().map((i) => i.sha) };
    };
    const crawl = { everyRequests: 2, count: 5, adds: 3, removes: 2 };
    const first = await start({ images: 500, updatesDuringCrawl: crawl });
    const plain = await crawlImages(first);
    await first.close();
    const withContainers = await crawlImages(
      await start({ images: 500, updatesDuringCrawl: { ...crawl, containerUpdates: 4, containerAdds: 2, containerRemoves: 1 } }),
    );
    expect(withContainers).toEqual(plain);
    // The image crawl of this seed as it was before containers existed (sha-256 of the delivered shas, then the final set).
    const { createHash } = await import('node:crypto');
    const digest = createHash('sha256').update(JSON.stringify(plain)).digest('hex');
    expect(digest).toBe(IMAGE_CRAWL_BEFORE_CONTAINERS);
  });
});

/** Computed with the simulator of commit e779b3c (images only), for the crawl in the test above. */
const IMAGE_CRAWL_BEFORE_CONTAINERS = 'f8991486872a04e9749c5edfb90a26dc3fefe43d1731d9eefe757cab16d96aff';
