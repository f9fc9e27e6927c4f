import { describe, expect, it } from 'vitest';
import { get, useSimulator } from './support.js';

const start = useSimulator();
const IMAGES = '/csapi/v1.3/images';

/** Resolves once `s.held()` reaches `n`: the held request has arrived and waits. */
async function untilHeld(s: { held(): number }, n: number): Promise<void> {
  while (s.held() < n) await new Promise((r) => setTimeout(r, 5));
}

describe('hold(after) and release()', () => {
  it('answers the next `after` requests, holds the later ones (counted as they arrive) until release()', async () => {
    const s = await start();
    s.hold(2);
    expect((await get(s, IMAGES, { pageSize: 1 })).status).toBe(200);
    expect((await get(s, IMAGES, { pageSize: 1 })).status).toBe(200);
    let answered = 0;
    const count = <T>(answer: T) => {
      answered++;
      return answer;
    };
    const third = get(s, IMAGES, { pageSize: 1 }).then(count);
    const fourth = get(s, IMAGES, { pageSize: 1 }).then(count);
    await untilHeld(s, 2);
    expect(s.stats.requests).toBe(4);
    expect(answered).toBe(0);
    s.release();
    expect((await third).status).toBe(200);
    expect((await fourth).status).toBe(200);
    expect(s.held()).toBe(0);
    // Open again: the next request is answered at once.
    expect((await get(s, IMAGES, { pageSize: 1 })).status).toBe(200);
  });

  it('a fault injected while a request is held applies to that request', async () => {
    const s = await start();
    s.hold(0);
    const held = get(s, IMAGES, { pageSize: 1 });
    await untilHeld(s, 1);
    s.inject({ kind: 'status', status: 503 });
    s.release();
    expect((await held).status).toBe(503);
  });

  it('close() ends the held requests with their connections', async () => {
    const s = await start();
    s.hold(0);
    const held = get(s, IMAGES, { pageSize: 1 });
    await untilHeld(s, 1);
    await s.close();
    await expect(held).rejects.toThrow();
  });

  it('refuses a count that is not a whole number of at least 0', async () => {
    const s = await start();
    expect(() => s.hold(-1)).toThrow(/whole number/);
    expect(() => s.hold(1.5)).toThrow(/whole number/);
  });
});
