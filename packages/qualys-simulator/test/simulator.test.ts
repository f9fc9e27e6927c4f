import { afterEach, describe, expect, it } from 'vitest';
import { generateImages, parseQql, QqlError, startSimulator, type QualysSimulator, type SimulatorOptions } from '../src/index.js';

let sim: QualysSimulator | undefined;
afterEach(async () => {
  await sim?.close();
  sim = undefined;
});

async function start(options: SimulatorOptions = {}) {
  sim = await startSimulator({ images: 500, rateLimit: false, ...options });
  return sim;
}

async function login(s: QualysSimulator, password = s.credentials.password): Promise<Response> {
  return fetch(`${s.url}/auth`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ username: s.credentials.username, password, token: 'true' }).toString(),
  });
}

async function get(s: QualysSimulator, path: string, query: Record<string, string | number> = {}, token = s.staticToken) {
  const qs = new URLSearchParams(Object.entries(query).map(([k, v]) => [k, String(v)])).toString();
  const res = await fetch(`${s.url}${path}${qs ? `?${qs}` : ''}`, { headers: { authorization: `Bearer ${token}` } });
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: text ? (JSON.parse(text) as { data: Array<Record<string, unknown>>; count?: number; message?: string }) : undefined };
}

describe('data set', () => {
  it('is deterministic for a seed and differs between seeds', () => {
    expect(JSON.stringify(generateImages(300, 4))).toBe(JSON.stringify(generateImages(300, 4)));
    expect(generateImages(5, 4)[0]?.sha).not.toBe(generateImages(5, 5)[0]?.sha);
  });

  it('has the v1.3 list sample fields with their quirky types, ties and a created "0" group', () => {
    const images = generateImages(2000, 1);
    const i = images[10] as Record<string, unknown>;
    for (const key of ['created', 'updated', 'sha', 'repo', 'repoDigests', 'uuid', 'size', 'vulnerabilities', 'imageId', 'lastFoundOnHost', 'riskScoreCalculatedDate', 'qdsSeverity', 'compliance', 'lastComplianceScanDate', 'scanTypes', 'criticalityUpdated']) {
      expect(i, key).toHaveProperty(key);
    }
    expect(typeof i['created']).toBe('string');
    expect(typeof i['riskScoreCalculatedDate']).toBe('number');
    expect(String((i['lastFoundOnHost'] as { lastUpdated: string } | null)?.lastUpdated ?? '2024-01-01T00:00:00.000Z')).toMatch(/^\d{4}-\d\d-\d\dT/);
    expect(images.filter((x) => x.created === '0').length).toBe(20);
    const created = images.map((x) => x.created);
    expect(new Set(created).size).toBeLessThan(created.length - 20);
    expect(images.some((x) => 'sbomSummary' in x)).toBe(true);
  });

  it('generates 200,000 images in a couple of seconds', () => {
    const t = performance.now();
    expect(generateImages(200_000, 1)).toHaveLength(200_000);
    expect(performance.now() - t).toBeLessThan(10_000);
  });
});

describe('auth', () => {
  it('issues a JWT for the right form-encoded credentials, even with & = + % in the password', async () => {
    const s = await start({ credentials: { username: 'u', password: 'a&b=c+d %e' } });
    const res = await login(s);
    expect(res.status).toBe(201);
    const jwt = await res.text();
    expect(jwt.split('.')).toHaveLength(3);
    expect((await get(s, '/csapi/v1.3/images', {}, jwt)).status).toBe(200);
    expect((await login(s, 'wrong')).status).toBe(401);
  });

  it('refuses an expired JWT with "JWT expired", and accepts Basic and the static token', async () => {
    const s = await start();
    const jwt = await (await login(s)).text();
    s.inject({ kind: 'expireTokens' });
    const expired = await get(s, '/csapi/v1.3/images', {}, jwt);
    expect(expired.status).toBe(401);
    expect(expired.body?.message).toBe('JWT expired');
    const basic = await fetch(`${s.url}/csapi/v1.3/images`, { headers: { authorization: `Basic ${Buffer.from(`${s.credentials.username}:${s.credentials.password}`).toString('base64')}` } });
    expect(basic.status).toBe(200);
    expect((await get(s, '/csapi/v1.3/images')).status).toBe(200);
    expect((await fetch(`${s.url}/csapi/v1.3/images`)).status).toBe(401);
  });
});

describe('GET /csapi/v1.3/images', () => {
  it('pages with count, sorts, and validates pageSize', async () => {
    const s = await start();
    const p1 = await get(s, '/csapi/v1.3/images', { pageSize: 100, pageNumber: 1, sort: 'created:asc' });
    const p2 = await get(s, '/csapi/v1.3/images', { pageSize: 100, pageNumber: 2, sort: 'created:asc' });
    expect(p1.body?.count).toBe(500);
    const created = [...(p1.body?.data ?? []), ...(p2.body?.data ?? [])].map((i) => Number(i['created']));
    expect(created).toEqual([...created].sort((a, b) => a - b));
    expect((await get(s, '/csapi/v1.3/images', { pageSize: 0 })).status).toBe(400);
    expect((await get(s, '/csapi/v1.3/images', { pageSize: 5000 })).status).toBe(400);
    expect((await get(s, '/csapi/v1.3/images', { sort: 'bogus:asc' })).status).toBe(400);
  });

  it.each([
    ['error', 400, 0],
    ['empty', 200, 0],
    ['truncate', 200, 100],
  ] as const)('past the 10,000 cap (%s) answers %i with %i records', async (capBehaviour, status, records) => {
    const s = await start({ images: 10_100, capBehaviour });
    const r = await get(s, '/csapi/v1.3/images', { pageSize: 100, pageNumber: 100 });
    expect(r.status).toBe(200);
    const past = await get(s, '/csapi/v1.3/images', { pageSize: 150, pageNumber: 67 });
    expect(past.status).toBe(status);
    expect(past.body?.data?.length ?? 0).toBe(records);
  });

  it('answers no matches with 204, or 200 and an empty list when configured', async () => {
    const s = await start();
    expect((await get(s, '/csapi/v1.3/images', { filter: 'created<0' })).status).toBe(204);
    await s.close();
    const t = await start({ emptyResult: 200 });
    const r = await get(t, '/csapi/v1.3/images', { filter: 'created<0' });
    expect(r.status).toBe(200);
    expect(r.body).toEqual({ data: [], count: 0 });
  });
});

describe('QQL subset', () => {
  const images = generateImages(400, 2);
  const count = (q: string) => images.filter(parseQql(q, Date.UTC(2026, 10, 1)).test).length;

  it('evaluates comparisons, ranges, lists, negation, and/or and parentheses', () => {
    const some = images[5] as (typeof images)[number];
    expect(count(`sha:${some.sha}`)).toBe(1);
    expect(count(`not uuid: [${some.uuid}, ${images[6]?.uuid}]`)).toBe(398);
    expect(count('riskScore>=50 and riskScore<60')).toBe(images.filter((i) => i.riskScore !== null && i.riskScore >= 50 && i.riskScore < 60).length);
    expect(count('created:[0 ... 0]')).toBe(4);
    expect(count('(qdsSeverity:HIGH or qdsSeverity:`CRITICAL`) and vulnerabilities.severity:5')).toBe(
      images.filter((i) => (i.qdsSeverity === 'HIGH' || i.qdsSeverity === 'CRITICAL') && (i.vulnerabilities?.['severity5Count'] ?? 0) > 0).length,
    );
    expect(count("imagesInUse:'[now-7d ... now]'")).toBe(images.filter((i) => i.lastUsedDate !== null && Number(i.lastUsedDate) >= Date.UTC(2026, 10, 1) - 7 * 86_400_000 && Number(i.lastUsedDate) <= Date.UTC(2026, 10, 1)).length);
    expect(count('updated>=1593731505425 AND not uuid: [x]')).toBe(400);
  });

  it('rejects unknown fields and broken syntax with an "Invalid filter" message', () => {
    expect(() => parseQql('nosuch:1')).toThrow(QqlError);
    expect(() => parseQql('created:[1 ... ')).toThrow(/Invalid filter/);
    expect(() => parseQql('created>abc')).toThrow(/not a valid value/);
  });
});

describe('bulk API /csapi/v1.3/images/list', () => {
  async function crawl(s: QualysSimulator, limit: number): Promise<{ shas: string[]; links: string[] }> {
    const shas: string[] = [];
    const links: string[] = [];
    let cursor: string | undefined;
    for (let i = 0; i < 1000; i++) {
      const r = await get(s, '/csapi/v1.3/images/list', { limit, ...(cursor ? { paginationQuery: cursor } : {}) });
      shas.push(...(r.body?.data ?? []).map((d) => String(d['sha'])));
      const link = r.headers.get('link');
      links.push(link ?? '(absent)');
      const m = link ? /paginationQuery=([^&<>;]*)/.exec(link) : null;
      if (!m) break;
      cursor = decodeURIComponent((m[1] as string).replace(/\+/g, ' '));
    }
    return { shas, links };
  }

  it('walks every image once by the doc-style Link cursor, ending with "null"', async () => {
    const s = await start({ images: 1000 });
    const { shas, links } = await crawl(s, 90);
    expect(shas).toHaveLength(1000);
    expect(new Set(shas).size).toBe(1000);
    expect(links[0]).toMatch(/^<http:\/\/qualysapi\.qualys\.com\/csapi\/v1\.3\/images\/list\?limit=90&paginationQuery=updated%3E%3D\d+\+AND\+not\+uuid%3A\+%5B.*%5D<;rel=next$/);
    expect(links.at(-1)).toBe('null');
  });

  it('returns details-shape items: findings array, layers with string sizes', async () => {
    const s = await start({ images: 50 });
    const item = (await get(s, '/csapi/v1.3/images/list', { limit: 50 })).body?.data.find((d) => Array.isArray(d['vulnerabilities']) && (d['vulnerabilities'] as unknown[]).length > 0);
    expect(item).toBeDefined();
    expect(Object.keys((item?.['vulnerabilities'] as object[])[0] as object).sort()).toEqual(['qid', 'result', 'software']);
    expect(typeof ((item?.['layers'] as Array<{ size: unknown }>)[0]?.size)).toBe('string');
  });

  it('returns an image again when it is rescanned during the crawl (the real quirk)', async () => {
    const s = await start({ images: 1000, linkStyle: 'rfc', linkEnd: 'absent', updatesDuringCrawl: { everyRequests: 2, count: 30 } });
    const { shas, links } = await crawl(s, 100);
    expect(shas.length).toBeGreaterThan(new Set(shas).size);
    expect(new Set(shas).size).toBe(1000);
    expect(links[0]).toMatch(/^<http:\/\/127\.0\.0\.1:\d+\/csapi\/v1\.3\/images\/list\?.*>; rel="next"$/);
    expect(links.at(-1)).toBe('(absent)');
  });
});

describe('rate limits and faults', () => {
  it('counts down X-RateLimit-Remaining and answers 429 with ToWait-Sec and Retry-After past the limit', async () => {
    const s = await start({ rateLimit: { list: { limit: 2, windowSec: 60 }, images: { limit: 3, windowSec: 60 } } });
    const remaining: Array<string | null> = [];
    for (let i = 0; i < 3; i++) remaining.push((await get(s, '/csapi/v1.3/images')).headers.get('x-ratelimit-remaining'));
    expect(remaining).toEqual(['2', '1', '0']);
    const over = await get(s, '/csapi/v1.3/images');
    expect(over.status).toBe(429);
    expect(Number(over.headers.get('x-ratelimit-towait-sec'))).toBeGreaterThan(0);
    expect(over.headers.get('retry-after')).not.toBeNull();
    expect((await get(s, '/csapi/v1.3/images/list')).status).toBe(200); // its own bucket
  });

  it('serves injected faults in order: a 503, a garbage page, then normal answers', async () => {
    const s = await start();
    s.inject({ kind: 'status', status: 503 });
    s.inject({ kind: 'garbage' });
    expect((await fetch(`${s.url}/csapi/v1.3/images`, { headers: { authorization: `Bearer ${s.staticToken}` } })).status).toBe(503);
    const garbage = await fetch(`${s.url}/csapi/v1.3/images`, { headers: { authorization: `Bearer ${s.staticToken}` } });
    expect(garbage.headers.get('content-type')).toBe('text/html');
    expect((await get(s, '/csapi/v1.3/images')).status).toBe(200);
  });

  it('drops the connection, or cuts a body in half, on request', async () => {
    const s = await start();
    s.inject({ kind: 'drop' });
    await expect(fetch(`${s.url}/csapi/v1.3/images`, { headers: { authorization: `Bearer ${s.staticToken}` } })).rejects.toThrow();
    s.inject({ kind: 'truncate' });
    const res = await fetch(`${s.url}/csapi/v1.3/images`, { headers: { authorization: `Bearer ${s.staticToken}` } });
    await expect(res.text()).rejects.toThrow();
  });
});
