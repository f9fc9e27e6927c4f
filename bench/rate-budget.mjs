// How much of a subscription's call rate an export uses, and whether it causes 429s: a 25,000-image export at
// pageSize 100 against a sliding-window limit of 20 calls per 2 s (the rate-limit headers on every answer), for
// the /images bucket (keyset, several concurrencies) and the bulk bucket.
import { fmt, runCase, table } from './lib.mjs';

const images = Number(process.env.BENCH_RATE_IMAGES ?? 25000);
const limit = 20;
const windowSec = 2;
const rows = [['case', 'records', 'wall', 'bucket calls', 'busy span', 'calls/s', 'use of allowed rate', '429s']];
for (const [strategy, concurrency, pageSize] of [
  ['images', 1, 100],
  ['images', 4, 100],
  ['images', 16, 100],
  ['bulk', 1, 100],
]) {
  const r = await runCase('export-rate.mjs', [strategy, concurrency, pageSize, images, limit, windowSec]);
  for (const [bucket, b] of Object.entries(r.buckets)) {
    if (b.calls < 20) continue;
    rows.push([`${strategy}, concurrency ${concurrency}: /images${bucket === 'list' ? '/list' : '/**'}`, fmt.n(r.records), fmt.s(r.seconds), b.calls, fmt.s(b.span), (b.calls / b.span).toFixed(2), `${(b.use * 100).toFixed(1)}%`, r.status429]);
  }
}
table(rows);
console.log(`\n${fmt.n(images)} images, pageSize 100, sliding window ${limit} calls per ${windowSec} s per bucket (${limit / windowSec}/s allowed).`);
