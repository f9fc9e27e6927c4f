import { describe, expect, it } from 'vitest';
import { imageSource, SourceInconsistentError, type QualysGetter, type QualysResponse } from '../src/index.js';

function image(i: number, created: number) {
  const sha = i.toString(16).padStart(64, '0');
  return {
    sha,
    uuid: `00000000-0000-4000-8000-${i.toString(16).padStart(12, '0')}`,
    imageId: sha.slice(0, 12),
    created: String(created),
    updated: String(created),
  };
}

/** A getter that answers every request with one handler, recording the queries it saw. */
function fakeGetter(
  handler: (query: Record<string, string | number | undefined>) => QualysResponse,
): QualysGetter & { seen: Array<Record<string, string | number | undefined>> } {
  const seen: Array<Record<string, string | number | undefined>> = [];
  return {
    seen,
    async get<T>(_path: string, query: Record<string, string | number | undefined> = {}) {
      seen.push(query);
      return handler(query) as QualysResponse<T>;
    },
  };
}

async function drain(source: AsyncIterable<unknown[]>): Promise<number> {
  let n = 0;
  for await (const batch of source) n += batch.length;
  return n;
}

describe('keyset (images strategy) guards', () => {
  it('fails with SourceInconsistentError instead of looping when the server ignores the keyset filter', async () => {
    const page = Array.from({ length: 3 }, (_, i) => image(i, 1000 + i));
    // every query gets the same full page and a count that says more remain
    const client = fakeGetter(() => ({ status: 200, body: { data: page, count: 6 }, headers: {} }));
    await expect(drain(imageSource({ client, pageSize: 3, concurrency: 1, strategy: 'images' }))).rejects.toBeInstanceOf(SourceInconsistentError);
    expect(client.seen.length).toBeLessThan(10);
  });

  it('fails when a page is not sorted by updated ascending', async () => {
    const page = [image(1, 2000), image(2, 1000)];
    const client = fakeGetter((q) => ({ status: 200, body: { data: q['pageSize'] === 1 ? page.slice(0, 1) : page, count: 2 }, headers: {} }));
    await expect(drain(imageSource({ client, pageSize: 5, concurrency: 1, strategy: 'images' }))).rejects.toThrow(/updated order/);
  });

  it('reads a 204 No Content as an empty subscription and yields nothing, with every strategy', async () => {
    for (const strategy of ['auto', 'pages', 'images', 'bulk'] as const) {
      const client = fakeGetter(() => ({ status: 204, body: null, headers: {} }));
      const source = imageSource({ client, strategy });
      expect(await drain(source), strategy).toBe(0);
      expect(source.stats.countAtEnd, strategy).toBe(0);
    }
  });

  it('rejects a page size outside 1..1000 (images) and 1..250 (bulk) with a message giving the range', () => {
    const client = fakeGetter(() => ({ status: 204, body: null, headers: {} }));
    expect(() => imageSource({ client, pageSize: 0 })).toThrow(/1 to 1000/);
    expect(() => imageSource({ client, pageSize: 5000 })).toThrow(/1 to 1000/);
    expect(() => imageSource({ client, strategy: 'images', pageSize: 5000 })).toThrow(/1 to 1000/);
    expect(() => imageSource({ client, strategy: 'bulk', pageSize: 500 })).toThrow(/1 to 250/);
  });

  it('sends the user filter in parentheses next to the paging conditions, so an "or" cannot widen the page', async () => {
    const data = [image(1, 10), image(2, 20)];
    const client = fakeGetter((q) => {
      const from = /updated>=(\d+)/.exec(String(q['filter'] ?? ''));
      const rows = data.filter((d) => !from || Number(d.updated) >= Number(from[1]));
      const excluded = /not uuid: \[([^\]]*)\]/.exec(String(q['filter'] ?? ''))?.[1]?.split(', ') ?? [];
      const matching = rows.filter((d) => !excluded.includes(d.uuid));
      return { status: 200, body: { data: matching.slice(0, Number(q['pageSize'])), count: matching.length }, headers: {} };
    });
    expect(await drain(imageSource({ client, pageSize: 1, concurrency: 1, filter: 'a:1 or b:2', strategy: 'images' }))).toBe(2);
    const paged = client.seen.map((q) => q['filter']).filter((f) => String(f).includes('updated>='));
    expect(paged.length).toBeGreaterThan(0);
    for (const f of paged) expect(String(f).startsWith('(a:1 or b:2) and updated>=')).toBe(true);
  });
});
