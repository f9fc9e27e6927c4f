import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { describe, expect, it } from 'vitest';
import { QualysClient, type Logger } from '../src/index.js';
import { useLoopbackCleanup } from './loopback-cleanup.js';

const PATH = '/csapi/v1.3/images';
const { servers, clients } = useLoopbackCleanup();

/**
 * A loopback API that counts each call in a sliding window when it ARRIVES, sends Remaining counted including that
 * call, and then holds the answer back for a while (`answerDelayMs`, different for each call), as a slow network or
 * a busy server would: the answer to a call can come after an older call of ours left our log but not the server's
 * window. Over the limit: 429 with ToWait in whole seconds, not counted.
 */
async function arrivalCountingServer(limit: number, windowMs: number, answerDelayMs: (n: number) => number): Promise<{ url: string; statuses: number[] }> {
  const live: number[] = [];
  const statuses: number[] = [];
  const server = createServer((_req, res) => {
    const now = performance.now();
    while (live.length > 0 && (live[0] as number) <= now - windowMs) live.shift();
    const over = live.length >= limit;
    if (!over) live.push(now);
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      'x-ratelimit-limit': String(limit),
      'x-ratelimit-window-sec': String(windowMs / 1000),
      'x-ratelimit-remaining': String(over ? 0 : limit - live.length),
    };
    if (over) headers['x-ratelimit-towait-sec'] = String(Math.max(1, Math.ceil(((live[0] as number) + windowMs - now) / 1000)));
    statuses.push(over ? 429 : 200);
    setTimeout(() => {
      res.writeHead(over ? 429 : 200, headers);
      res.end(JSON.stringify(over ? { message: 'rate limit exceeded' } : { data: [] }));
    }, answerDelayMs(statuses.length));
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, statuses };
}

describe('RateGovernor over loopback, against a server that counts at arrival and answers late', () => {
  for (const concurrency of [1, 2]) {
    it(`concurrency ${concurrency}: no answer to its own calls is taken for another client's, and no 429`, async () => {
      // Answers 0 to 200 ms after the count, varying from call to call in a fixed pattern, so runs are alike.
      const server = await arrivalCountingServer(10, 1_000, (n) => ((n * 7919) % 101) * 2);
      const debug: string[] = [];
      const logger: Logger = { debug: (m) => debug.push(m), info: () => undefined, warn: () => undefined, error: () => undefined };
      const client = new QualysClient({ baseUrl: server.url, auth: { kind: 'token', token: 't.o.k' }, env: {}, logger });
      clients.push(client);
      let next = 0;
      await Promise.all(
        Array.from({ length: concurrency }, async () => {
          while (next < 40) {
            next++;
            expect((await client.get(PATH)).status).toBe(200);
          }
        }),
      );
      expect(server.statuses.filter((s) => s === 429)).toEqual([]);
      expect(client.stats.status429).toBe(0);
      expect(debug.filter((m) => m.includes('another client'))).toEqual([]);
    });
  }
});
