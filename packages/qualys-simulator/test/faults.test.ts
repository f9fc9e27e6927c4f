import { request, ServerResponse } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { QualysSimulator } from '../src/index.js';
import { authHeaders, crawl, cursorOf, get, urlOf, useSimulator } from './support.js';

const start = useSimulator();
const IMAGES = '/csapi/v1.3/images';
const BULK = '/csapi/v1.3/images/list';

describe('rate limits and faults', () => {
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

const shasOf = (r: { body?: { data: Array<Record<string, unknown>> | null } | undefined }) => (r.body?.data ?? []).map((d) => String(d['sha']));

describe('shortPage', () => {
  it('/images: half the records, count unchanged; the next page starts past the full page', async () => {
    const s = await start();
    const full = await get(s, IMAGES, { pageSize: 100, sort: 'created:asc' });
    s.inject({ kind: 'shortPage' });
    const short = await get(s, IMAGES, { pageSize: 100, sort: 'created:asc' });
    expect(short.body?.count).toBe(500);
    expect(shasOf(short)).toEqual(shasOf(full).slice(0, 50));
    const next = await get(s, IMAGES, { pageSize: 100, pageNumber: 2, sort: 'created:asc' });
    expect(shasOf(next)).not.toContain(shasOf(full)[50]);
  });

  it('/images/list: half the records but a Link past the full page, so a Link-following crawl skips the rest', async () => {
    const s = await start();
    const full = await get(s, BULK, { limit: 100 });
    s.inject({ kind: 'shortPage', path: BULK });
    const short = await get(s, BULK, { limit: 100 });
    expect(shasOf(short)).toEqual(shasOf(full).slice(0, 50));
    expect(short.headers.get('link')).toBe(full.headers.get('link'));
    s.inject({ kind: 'shortPage', path: BULK });
    const { shas } = await crawl(s, 100);
    expect(new Set(shas).size).toBe(450);
  });

  it('rounds down (7 → 3) but leaves a page of one whole', async () => {
    const s = await start();
    s.inject({ kind: 'shortPage', count: 2 });
    expect(shasOf(await get(s, IMAGES, { pageSize: 7 }))).toHaveLength(3);
    expect(shasOf(await get(s, IMAGES, { pageSize: 1 }))).toHaveLength(1);
  });

  it('is a page fault: a details request does not take it', async () => {
    const s = await start();
    s.inject({ kind: 'shortPage' });
    const sha = s.images()[0]?.sha as string;
    expect((await get(s, `${IMAGES}/${sha}`)).status).toBe(200);
    expect(shasOf(await get(s, IMAGES, { pageSize: 10 }))).toHaveLength(5);
  });
});

describe('emptyPage', () => {
  it.each([
    ['empty', { data: [], count: 500 }],
    ['null', { data: null, count: 500 }],
    ['absent', { count: 500 }],
  ] as const)('/images shape "%s" answers 200 %j although records match', async (shape, expected) => {
    const s = await start();
    s.inject({ kind: 'emptyPage', shape });
    const r = await get(s, IMAGES, { pageSize: 10 });
    expect(r.status).toBe(200);
    expect(r.body).toEqual(expected);
    expect(shasOf(await get(s, IMAGES, { pageSize: 10 }))).toHaveLength(10);
  });

  it('/images shape "204" answers a bare 204', async () => {
    const s = await start();
    s.inject({ kind: 'emptyPage', shape: '204' });
    const r = await get(s, IMAGES, { pageSize: 10 });
    expect([r.status, r.text, r.headers.get('content-type')]).toEqual([204, '', null]);
  });

  it('/images/list first page: an empty answer whose Link (updated>=0) gives the real first page', async () => {
    const s = await start();
    const real = await get(s, BULK, { limit: 50 });
    s.inject({ kind: 'emptyPage', shape: 'empty' });
    const empty = await get(s, BULK, { limit: 50 });
    expect(empty.body).toEqual({ data: [] });
    expect(cursorOf(empty.headers.get('link'))).toBe('updated>=0');
    const again = await get(s, BULK, { limit: 50, paginationQuery: 'updated>=0' });
    expect(shasOf(again)).toEqual(shasOf(real));
  });

  it.each(['null', 'absent'] as const)('/images/list mid-crawl shape "%s": the Link repeats the request\'s own cursor', async (shape) => {
    const s = await start({ dialect: { bulkCount: true } });
    const cursor = cursorOf((await get(s, BULK, { limit: 50 })).headers.get('link')) as string;
    s.inject({ kind: 'emptyPage', shape });
    const empty = await get(s, BULK, { limit: 50, paginationQuery: cursor });
    expect(empty.body).toEqual(shape === 'null' ? { data: null, count: 500 } : { count: 500 });
    expect(cursorOf(empty.headers.get('link'))).toBe(cursor);
    expect(shasOf(await get(s, BULK, { limit: 50, paginationQuery: cursor }))).toHaveLength(50);
  });

  it('/images/list shape "204": a bare 204 with no Link', async () => {
    const s = await start();
    s.inject({ kind: 'emptyPage', shape: '204', path: BULK });
    const r = await get(s, BULK, { limit: 50 });
    expect([r.status, r.text, r.headers.get('link')]).toEqual([204, '', null]);
  });
});

describe('duplicateInPage', () => {
  it('repeats the first record at the end of the page; count and Link unchanged', async () => {
    const s = await start();
    const full = await get(s, IMAGES, { pageSize: 10 });
    const fullBulk = await get(s, BULK, { limit: 10 });
    s.inject({ kind: 'duplicateInPage', count: 2 });
    const dup = await get(s, IMAGES, { pageSize: 10 });
    expect(shasOf(dup)).toEqual([...shasOf(full), shasOf(full)[0]]);
    expect(dup.body?.count).toBe(500);
    const dupBulk = await get(s, BULK, { limit: 10 });
    expect(shasOf(dupBulk)).toEqual([...shasOf(fullBulk), shasOf(fullBulk)[0]]);
    expect(dupBulk.headers.get('link')).toBe(fullBulk.headers.get('link'));
  });
});

describe('trickle', () => {
  afterEach(() => vi.restoreAllMocks());

  async function chunksOf(s: QualysSimulator, path: string, query: Record<string, string | number>) {
    const res = await fetch(urlOf(s, path, query), { headers: authHeaders(s) });
    const reader = (res.body as ReadableStream<Uint8Array>).getReader();
    const chunks: Uint8Array[] = [];
    for (let r = await reader.read(); !r.done; r = await reader.read()) chunks.push(r.value);
    return { res, chunks, text: Buffer.concat(chunks).toString('utf8') };
  }

  it('sends the headers at once and the body a few bytes at a time, whole in the end', async () => {
    const s = await start();
    const whole = (await get(s, IMAGES, { pageSize: 5 })).text;
    expect(Buffer.byteLength(whole)).toBeGreaterThan(5000);
    s.inject({ kind: 'trickle', bytesPerChunk: 1000, intervalMs: 5 });
    const { res, chunks, text } = await chunksOf(s, IMAGES, { pageSize: 5 });
    expect(res.status).toBe(200);
    expect(Number(res.headers.get('content-length'))).toBe(Buffer.byteLength(whole));
    expect(text).toBe(whole);
    // 5+ writes 5 ms apart reach the client as separate reads (the network may merge a few, never all)
    expect(chunks.length).toBeGreaterThanOrEqual(3);
  });

  it('stops writing when the client goes away, and the server keeps serving', async () => {
    const s = await start();
    s.inject({ kind: 'trickle', bytesPerChunk: 10, intervalMs: 2, path: BULK });
    // The simulator runs in this process, so its writes can be counted directly.
    const writes = vi.spyOn(ServerResponse.prototype, 'write');
    await new Promise<void>((resolve, reject) => {
      const req = request(urlOf(s, BULK, { limit: 250 }), { headers: authHeaders(s) }, (res) => {
        res.on('error', () => undefined); // the abort we cause
        res.once('data', () => {
          req.destroy();
          resolve();
        });
      });
      req.on('error', (e) => (req.destroyed ? undefined : reject(e)));
      req.end();
    });
    await sleep(20);
    const afterAbort = writes.mock.calls.length;
    expect(afterAbort).toBeGreaterThan(0);
    await sleep(40); // 20 more chunks' worth of time at 2 ms each
    expect(writes.mock.calls.length).toBe(afterAbort);
    expect((await get(s, BULK, { limit: 5 })).body?.data).toHaveLength(5);
    // the abandoned answer never finished, so it is not in the log of answered requests
    expect(s.requests.filter((r) => r.path === BULK)).toHaveLength(1);
  });
});
