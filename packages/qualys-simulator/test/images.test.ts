import { describe, expect, it } from 'vitest';
import { get, useSimulator } from './support.js';

const start = useSimulator();

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

  it('answers a bad filter with 400 BAD_REQUEST and an "Invalid filter" message, and an image by sha', async () => {
    const s = await start();
    const bad = await get(s, '/csapi/v1.3/images', { filter: 'nosuch:1' });
    expect(bad.status).toBe(400);
    expect(bad.body?.errorCode).toBe('400 BAD_REQUEST');
    expect(bad.body?.message).toMatch(/^Invalid filter/);
    const sha = s.images()[0]?.sha as string;
    const one = await get(s, `/csapi/v1.3/images/${sha}`);
    expect((one.body as unknown as { sha: string }).sha).toBe(sha);
    expect((await get(s, `/csapi/v1.3/images/${'0'.repeat(64)}`)).status).toBe(404);
  });
});
