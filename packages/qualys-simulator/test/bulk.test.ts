import { describe, expect, it } from 'vitest';
import type { QualysSimulator } from '../src/index.js';
import { crawl as crawlWith, cursorOf, get, useSimulator } from './support.js';

const start = useSimulator();

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
    expect(links[0]).toMatch(
      /^<http:\/\/qualysapi\.qualys\.com\/csapi\/v1\.3\/images\/list\?limit=90&paginationQuery=updated%3E%3D\d+\+AND\+not\+uuid%3A\+%5B.*%5D<;rel=next$/,
    );
    expect(links.at(-1)).toBe('null');
  });

  it('returns details-shape items: findings array, layers with string sizes', async () => {
    const s = await start({ images: 50 });
    const item = (await get(s, '/csapi/v1.3/images/list', { limit: 50 })).body?.data.find(
      (d) => Array.isArray(d['vulnerabilities']) && (d['vulnerabilities'] as unknown[]).length > 0,
    );
    expect(item).toBeDefined();
    // The documented bulk finding: qid, result and software, plus layerSha since release 1.37.
    expect(Object.keys((item?.['vulnerabilities'] as object[] | undefined)?.[0] ?? {}).sort()).toEqual(['layerSha', 'qid', 'result', 'software']);
    expect(typeof (item?.['layers'] as Array<{ size: unknown }> | undefined)?.[0]?.size).toBe('string');
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

describe('bulk cursor', () => {
  it('carries every uuid already sent at the last `updated` across pages inside a large tie group', async () => {
    const s = await start({ images: 500, ties: { field: 'updated', size: 260 } });
    const { shas, links } = await crawlWith(s, 50);
    expect(shas).toHaveLength(500);
    expect(new Set(shas).size).toBe(500);
    const tied = s.images()[0]?.updated as string;
    const inGroup = links.map(cursorOf).filter((c) => c?.startsWith(`updated>=${tied} `));
    // each page inside the group excludes all the group's uuids sent so far: 50, 100, ... up to the 260th
    expect(inGroup.map((c) => (c as string).split(',').length)).toEqual(inGroup.map((_, k) => String(inGroup[0]).split(',').length + 50 * k));
  });
});

describe('linkStyle', () => {
  it('"other-host" names another Qualys host in a well-formed https link that carries the cursor', async () => {
    const s = await start({ linkStyle: 'other-host' });
    const { shas, links } = await crawlWith(s, 100);
    expect(links[0]).toMatch(
      new RegExp(
        /^<https:\/\/qualysapi\.qg9\.apps\.qualys\.com\/csapi\/v1\.3\/images\/list\?limit=100/.source +
          /&paginationQuery=updated%3E%3D\d+\+AND\+not\+uuid%3A\+%5B[^>]*%5D>; rel="next"$/.source,
      ),
    );
    expect(new Set(shas).size).toBe(500);
    expect(links.at(-1)).toBe('null');
  });

  it('"none" sends no Link header on any page, so a client that only follows Link gets one page', async () => {
    const s = await start({ linkStyle: 'none' });
    const { shas, links, pages } = await crawlWith(s, 100);
    expect(pages).toBe(1);
    expect(shas).toHaveLength(100);
    expect(links).toEqual(['(absent)']);
    // the cursor still works when sent by hand, and the end of data has no "null" marker either
    const last = s
      .images()
      .map((i) => Number(i.updated))
      .sort((a, b) => a - b)[450] as number;
    const end = await get(s, '/csapi/v1.3/images/list', { limit: 100, paginationQuery: `updated>=${last}` });
    expect(end.body?.data.length).toBeGreaterThan(0);
    expect(end.body?.data.length).toBeLessThan(100);
    expect(end.headers.get('link')).toBeNull();
  });
});

describe('updatesDuringCrawl with adds and removes', () => {
  it('rescans, adds and removes images every N data requests; a crawl sees every image that exists at its end', async () => {
    const s = await start({ images: 1000, linkStyle: 'rfc', updatesDuringCrawl: { everyRequests: 2, count: 5, adds: 3, removes: 2 } });
    const { shas, pages } = await crawlWith(s, 100);
    const rounds = Math.floor(pages / 2);
    expect(s.stats).toMatchObject({ updates: 5 * rounds, adds: 3 * rounds, removes: 2 * rounds });
    expect(s.images()).toHaveLength(1000 + rounds);
    const delivered = new Set(shas);
    expect(s.images().filter((i) => !delivered.has(i.sha))).toEqual([]);
  });

  it('counts direct adds and removes in stats, and images() is the current set', async () => {
    const s = await start({ images: 100 });
    const added = s.addImages(4);
    const removed = s.removeImages(3);
    expect(s.stats).toMatchObject({ adds: 4, removes: 3, updates: 0 });
    const current = new Set(s.images().map((i) => i.sha));
    expect(current.size).toBe(101);
    expect(removed.every((sha) => !current.has(sha))).toBe(true);
    // added images are the newest: a bulk crawl from the start ends with them (unless removed again)
    const newest = Math.max(
      ...s
        .images()
        .filter((i) => !added.includes(i.sha))
        .map((i) => Number(i.updated)),
    );
    expect(
      s
        .images()
        .filter((i) => added.includes(i.sha))
        .every((i) => Number(i.updated) > newest),
    ).toBe(true);
  });
});

describe('dialect.bulkCount', () => {
  it('adds the total matching the filter, whatever the cursor, to every bulk page; none by default', async () => {
    const s = await start({ dialect: { bulkCount: true } });
    const middle = s
      .images()
      .map((i) => Number(i.updated))
      .sort((a, b) => a - b)[200] as number;
    const expected = s.images().filter((i) => Number(i.updated) >= middle).length;
    const first = await get(s, '/csapi/v1.3/images/list', { limit: 50, filter: `updated>=${middle}` });
    expect(first.body?.count).toBe(expected);
    const second = await get(s, '/csapi/v1.3/images/list', {
      limit: 50,
      filter: `updated>=${middle}`,
      paginationQuery: cursorOf(first.headers.get('link')) as string,
    });
    expect(second.body?.count).toBe(expected);
    await s.close();
    const plain = await start();
    expect(Object.keys((await get(plain, '/csapi/v1.3/images/list', { limit: 50 })).body ?? {})).toEqual(['data']);
  });
});
