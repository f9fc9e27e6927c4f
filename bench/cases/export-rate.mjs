// One export against a simulator (in this process) that enforces a SLIDING-window rate limit and sends
// X-RateLimit-Limit / -Window-Sec / -Remaining / -ToWait-Sec on every answer: how much of the allowed call rate
// the export uses while it has work, and how many 429s it caused.
// args: strategy concurrency pageSize images limit windowSec
import { imageSource, QualysClient } from '@qcs-export/core';
import { startSimulator } from '@qcs-export/qualys-simulator';

const [strategy, concurrency, pageSize, images, limit, windowSec] = process.argv.slice(2);
const bucket = { limit: Number(limit), windowSec: Number(windowSec) };
const sim = await startSimulator({ images: Number(images), seed: 3, rateLimit: { list: bucket, images: bucket }, rateLimitMode: 'sliding' });
const client = new QualysClient({ baseUrl: sim.url, auth: { kind: 'jwt', ...sim.credentials } });
const started = performance.now();
let records = 0;
const source = imageSource({ client, strategy, pageSize: Number(pageSize), concurrency: Number(concurrency) });
for await (const batch of source) records += batch.length;
const seconds = (performance.now() - started) / 1000;
// The busy part of each bucket: from its first to its last data request, as the server logged them.
const byBucket = {};
for (const r of sim.requests) {
  if (!r.path.startsWith('/csapi/')) continue;
  const name = r.path.endsWith('/list') ? 'list' : 'images';
  (byBucket[name] ??= []).push(r);
}
const allowedPerSecond = bucket.limit / bucket.windowSec;
const buckets = Object.fromEntries(
  Object.entries(byBucket).map(([name, calls]) => {
    const ok = calls.filter((c) => c.status !== 429);
    const times = ok.map((c) => c.at);
    const span = (Math.max(...times) - Math.min(...times)) / 1000;
    // The most a sliding window of `limit` per `windowSec` lets through from the first call to the last, span
    // seconds later: a full window's worth at the start of every window.
    const possible = bucket.limit * (Math.floor(span / bucket.windowSec) + 1);
    return [name, { calls: ok.length, span, use: ok.length / possible }];
  }),
);
console.log(JSON.stringify({ records, seconds, strategy: source.stats.strategy, status429: sim.stats.rateLimited, buckets, allowedPerSecond, requests: client.stats.requests }));
await client.close();
await sim.close();
