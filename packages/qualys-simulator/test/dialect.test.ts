import { describe, expect, it } from 'vitest';
import type { RawImage } from '../src/index.js';
import { crawl, get, useSimulator } from './support.js';

const start = useSimulator({ images: 500, rateLimit: false, emptyResult: 200 });
const IMAGES = '/csapi/v1.3/images';
const BULK = '/csapi/v1.3/images/list';
const FAR = 9_999_999_999_999;

const shasOf = (r: { body?: { data: Array<Record<string, unknown>> } | undefined }) => (r.body?.data ?? []).map((d) => String(d['sha']));
/** The image at this position when ordered by `updated`, and its `updated` in ms. */
const byUpdated = (images: readonly RawImage[], k: number) => {
  const image = [...images].sort((a, b) => Number(a.updated) - Number(b.updated))[k] as RawImage;
  return { image, ms: Number(image.updated) };
};

describe('dialect.reject', () => {
  it.each([
    ['compare', 'updated>=0', `updated:[0 ... ${FAR}]`],
    ['bracket-range', `updated:[0 ... ${FAR}]`, 'updated>=0'],
    ['bracket-range', `updated:(0 .. ${FAR})`, 'updated>=0'],
    ['not', 'not qdsSeverity:LOW', 'qdsSeverity:LOW or qdsSeverity:HIGH'],
  ] as const)('"%s" refuses %s with 400 Invalid filter, on /images and /images/list, and accepts %s', async (construct, refused, accepted) => {
    const s = await start({ dialect: { reject: [construct] } });
    for (const path of [IMAGES, BULK]) {
      const r = await get(s, path, { filter: refused });
      expect(r.status, path).toBe(400);
      expect(r.body?.errorCode).toBe('400 BAD_REQUEST');
      expect(r.body?.message).toMatch(/^Invalid filter/);
      expect((await get(s, path, { filter: accepted })).status, path).toBe(200);
    }
  });

  it.each(['updated', 'created'] as const)('"sort:%s" refuses sort=%s:asc|desc on /images, not other sorts', async (field) => {
    const s = await start({ dialect: { reject: [`sort:${field}`] } });
    for (const dir of ['asc', 'desc']) {
      const r = await get(s, IMAGES, { sort: `${field}:${dir}` });
      expect([r.status, r.body?.errorCode]).toEqual([400, '400 BAD_REQUEST']);
      expect(r.body?.message).toMatch(/^Invalid filter/);
    }
    expect((await get(s, IMAGES, { sort: `${field === 'updated' ? 'created' : 'updated'}:asc` })).status).toBe(200);
    expect((await get(s, IMAGES, { sort: 'riskScore:desc' })).status).toBe(200);
  });

  it("never applies to the bulk API's own cursor: a Link crawl still gets every image under every rejection", async () => {
    const s = await start({ dialect: { reject: ['compare', 'bracket-range', 'not', 'sort:updated', 'sort:created'] } });
    const { shas } = await crawl(s, 60);
    expect(shas).toHaveLength(500);
    expect(new Set(shas).size).toBe(500);
  });
});

describe('dialect.epochSeconds', () => {
  it('reads numbers compared with date fields as epoch seconds: ms bounds match nothing, second bounds match the right count', async () => {
    const s = await start({ dialect: { epochSeconds: true } });
    const { ms } = byUpdated(s.images(), 250);
    const sec = Math.floor(ms / 1000);
    const expected = s.images().filter((i) => Number(i.updated) >= sec * 1000).length;
    expect((await get(s, IMAGES, { filter: `updated>=${ms}` })).body?.count).toBe(0);
    expect((await get(s, IMAGES, { filter: `updated>=${sec}` })).body?.count).toBe(expected);
    expect((await get(s, IMAGES, { filter: `updated:[${sec} ... ${Math.floor(FAR / 1000)}]` })).body?.count).toBe(expected);
    expect((await get(s, IMAGES, { filter: `created>=0 and updated<${sec}` })).body?.count).toBe(500 - expected);
  });

  it('leaves the bulk cursor in ms: a filtered crawl gets exactly the matching images', async () => {
    const s = await start({ dialect: { epochSeconds: true } });
    const sec = Math.floor(byUpdated(s.images(), 100).ms / 1000);
    const expected = s
      .images()
      .filter((i) => Number(i.updated) >= sec * 1000)
      .map((i) => i.sha)
      .sort();
    const { shas } = await crawl(s, 50, { filter: `updated>=${sec}` });
    expect([...shas].sort()).toEqual(expected);
  });
});

describe('dialect.ignoreNotUuid', () => {
  it('accepts `not uuid: [...]` in the filter and excludes nothing; the default excludes', async () => {
    const s = await start({ dialect: { ignoreNotUuid: true } });
    const [a, b] = s.images();
    const filter = `not uuid: [${a?.uuid}, ${b?.uuid}]`;
    expect((await get(s, IMAGES, { filter })).body?.count).toBe(500);
    await s.close();
    const plain = await start();
    expect((await get(plain, IMAGES, { filter })).body?.count).toBe(498);
  });

  it('still honours the exclusions of its own cursor, through a tie group larger than a page', async () => {
    const s = await start({ dialect: { ignoreNotUuid: true }, ties: { field: 'updated', size: 200 } });
    const { shas } = await crawl(s, 50);
    expect(shas).toHaveLength(500);
    expect(new Set(shas).size).toBe(500);
  });
});

describe('dialect.overFilterCombinedRanges', () => {
  it('drops a record exactly on a bound only when two date ranges are combined', async () => {
    const s = await start({ dialect: { overFilterCombinedRanges: true } });
    const { image, ms } = byUpdated(s.images(), 300);
    const onBound = (filter: string) => get(s, IMAGES, { filter, pageSize: 1000 }).then((r) => shasOf(r).includes(image.sha));
    expect(await onBound(`updated>=${ms}`)).toBe(true);
    expect(await onBound(`updated:[${ms} ... ${FAR}]`)).toBe(true);
    expect(await onBound(`updated>=${ms} and riskScore>=0 or updated>=${ms}`)).toBe(true);
    expect(await onBound(`updated>=${ms} and updated<=${FAR}`)).toBe(false);
    expect(await onBound(`updated:[${ms} ... ${FAR}] and created>=-1`)).toBe(false);
    expect(await onBound(`(updated<=${ms}) and (created:[-1 ... ${FAR}])`)).toBe(false);
    const upper = s.images().filter((i) => Number(i.updated) > ms).length;
    expect((await get(s, IMAGES, { filter: `updated>=${ms} and updated<=${FAR}` })).body?.count).toBe(upper);
    await s.close();
    const plain = await start();
    expect(shasOf(await get(plain, IMAGES, { filter: `updated>=${ms} and updated<=${FAR}`, pageSize: 1000 }))).toContain(image.sha);
  });
});

describe('dialect.ignoreSort', () => {
  it('returns /images in uuid order whatever the sort', async () => {
    const s = await start({ dialect: { ignoreSort: true } });
    const uuids = s
      .images()
      .map((i) => i.uuid)
      .sort();
    for (const sort of ['created:desc', 'updated:asc', 'riskScore:desc']) {
      const pages = [1, 2].map((pageNumber) => get(s, IMAGES, { sort, pageSize: 100, pageNumber }));
      const got = (await Promise.all(pages)).flatMap((p) => (p.body?.data ?? []).map((d) => String(d['uuid'])));
      expect(got, sort).toEqual(uuids.slice(0, 200));
    }
  });
});

describe('dialect.unstableTieOrder', () => {
  const tieOrder = async (s: Awaited<ReturnType<typeof start>>) => {
    const tied = s.images()[0]?.created;
    const r = await get(s, IMAGES, { sort: 'created:asc', pageSize: 1000 });
    return (r.body?.data ?? []).filter((d) => d['created'] === tied).map((d) => String(d['uuid']));
  };

  it('orders records with an equal sort key differently per request (same records); stable by default', async () => {
    const s = await start({ ties: { field: 'created', size: 100 }, dialect: { unstableTieOrder: true } });
    const orders = [await tieOrder(s), await tieOrder(s), await tieOrder(s)];
    expect(orders[0]?.length).toBeGreaterThanOrEqual(100);
    expect(new Set(orders.map((o) => o.join())).size).toBe(3);
    expect(new Set(orders.map((o) => [...o].sort().join())).size).toBe(1);
    await s.close();
    const plain = await start({ ties: { field: 'created', size: 100 } });
    const stable = await tieOrder(plain);
    expect(stable).toEqual([...stable].sort());
    expect(await tieOrder(plain)).toEqual(stable);
  });

  it('applies to the bulk API too, where its own cursor still delivers a tie group larger than a page exactly once', async () => {
    const s = await start({ ties: { field: 'updated', size: 200 }, dialect: { unstableTieOrder: true } });
    // a full first page reaches into the tie group (the median `updated`)
    const first = shasOf(await get(s, BULK, { limit: 250 }));
    expect(shasOf(await get(s, BULK, { limit: 250 }))).not.toEqual(first);
    const { shas } = await crawl(s, 50);
    expect(shas).toHaveLength(500);
    expect(new Set(shas).size).toBe(500);
  });
});

describe('dialect.count', () => {
  it('"absent" leaves count out of /images answers; "exact" (the default) has it', async () => {
    const s = await start({ dialect: { count: 'absent' } });
    const r = await get(s, IMAGES, { pageSize: 10 });
    expect(r.body?.data).toHaveLength(10);
    expect(r.body).not.toHaveProperty('count');
    await s.close();
    const exact = await start({ dialect: { count: 'exact' } });
    expect((await get(exact, IMAGES, { pageSize: 10 })).body?.count).toBe(500);
  });
});
