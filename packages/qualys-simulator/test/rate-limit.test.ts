import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { type Answer, get, useSimulator } from './support.js';

const start = useSimulator();
const RATE_HEADERS = ['x-ratelimit-limit', 'x-ratelimit-window-sec', 'x-ratelimit-remaining', 'x-ratelimit-towait-sec'];

describe('rate limits', () => {
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

  it('sliding: 25 quick requests at 20 per 2 s give exactly 5 429s, every answer carrying the four headers', async () => {
    const s = await start({ rateLimitMode: 'sliding', rateLimit: { list: { limit: 5, windowSec: 60 }, images: { limit: 20, windowSec: 2 } } });
    const answers: Answer[] = [];
    for (let i = 0; i < 25; i++) answers.push(await get(s, '/csapi/v1.3/images', { pageSize: 1 }));
    expect(answers.map((a) => a.status)).toEqual([...Array<number>(20).fill(200), ...Array<number>(5).fill(429)]);
    for (const a of answers) for (const h of RATE_HEADERS) expect(a.headers.get(h), h).not.toBeNull();
    const header = (i: number, h: string) => answers[i]?.headers.get(h);
    expect([header(0, 'x-ratelimit-limit'), header(0, 'x-ratelimit-window-sec')]).toEqual(['20', '2']);
    expect(answers.map((_, i) => header(i, 'x-ratelimit-remaining'))).toEqual([
      ...Array.from({ length: 20 }, (_, i) => String(19 - i)),
      ...Array<string>(5).fill('0'),
    ]);
    // allowed with budget left: no wait; from the 20th on the wait is until the oldest leaves the 2 s window
    expect(answers.slice(0, 19).every((a) => a.headers.get('x-ratelimit-towait-sec') === '0')).toBe(true);
    for (const a of answers.slice(19)) {
      const wait = a.headers.get('x-ratelimit-towait-sec') as string;
      expect(wait).toMatch(/^(1|2|0\.\d{3})$/);
      expect(Number(wait)).toBeGreaterThan(0);
    }
    expect(answers[24]?.headers.get('retry-after')).toBe(answers[24]?.headers.get('x-ratelimit-towait-sec'));
    expect(s.stats.rateLimited).toBe(5);
    expect(s.stats.allowedByBucket).toEqual({ list: 0, images: 20, containersList: 0, containers: 0 });
  });

  it('sliding: a sub-second window gives 3-decimal waits, and a request after the announced wait is allowed', async () => {
    const s = await start({ rateLimitMode: 'sliding', rateLimit: { list: { limit: 3, windowSec: 0.25 }, images: { limit: 3, windowSec: 0.25 } } });
    for (let i = 0; i < 3; i++) expect((await get(s, '/csapi/v1.3/images/list', { limit: 1 })).status).toBe(200);
    const over = await get(s, '/csapi/v1.3/images/list', { limit: 1 });
    expect(over.status).toBe(429);
    const wait = over.headers.get('x-ratelimit-towait-sec') as string;
    expect(wait).toMatch(/^0\.\d{3}$/);
    await sleep(Number(wait) * 1000 + 20);
    const again = await get(s, '/csapi/v1.3/images/list', { limit: 1 });
    expect(again.status).toBe(200);
    expect(again.headers.get('x-ratelimit-window-sec')).toBe('0.25');
    expect(s.stats.allowedByBucket.list).toBe(4);
    expect(s.stats.rateLimited).toBe(1);
  });

  it('fixed (the default) counts allowed requests per bucket too', async () => {
    const s = await start({ rateLimit: { list: { limit: 2, windowSec: 60 }, images: { limit: 1, windowSec: 60 } } });
    await get(s, '/csapi/v1.3/images');
    await get(s, '/csapi/v1.3/images');
    await get(s, '/csapi/v1.3/images/list');
    expect(s.stats.allowedByBucket).toEqual({ list: 1, images: 1, containersList: 0, containers: 0 });
    expect(s.stats.rateLimited).toBe(1);
  });
});
