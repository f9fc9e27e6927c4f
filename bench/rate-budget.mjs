// How much of a subscription's call rate an export uses, and whether it causes 429s: a 25,000-image export at
// pageSize 100 against a sliding-window limit of 20 calls per 2 s (the rate-limit headers on every answer), for
// the /images bucket (keyset, several concurrencies) and the bulk bucket. The simulator runs in its own process.
import { fmt, runCase, startSimulatorProcess, table } from './lib.mjs';

const images = Number(process.env.BENCH_RATE_IMAGES ?? 25000);
const limit = 20;
const windowSec = 2;
const bucket = { limit, windowSec };
const rows = [['case', 'records', 'wall', 'bucket calls', 'busy span', 'calls/s', 'calls/s ÷ allowed', '429s']];
for (const [strategy, concurrency, pageSize] of [
  ['images', 1, 100],
  ['images', 4, 100],
  ['images', 16, 100],
  ['bulk', 1, 100],
]) {
  // A fresh simulator for each case, so one case's calls do not eat the next one's window.
  const sim = await startSimulatorProcess({ images, seed: 3, rateLimit: { list: bucket, images: bucket }, rateLimitMode: 'sliding' });
  try {
    const r = await runCase('export-rate.mjs', [sim.url, sim.username, sim.password, strategy, concurrency, pageSize, limit, windowSec]);
    for (const [name, b] of Object.entries(r.buckets)) {
      if (b.calls < 20) continue;
      rows.push([
        `${strategy}, concurrency ${concurrency}: /images${name === 'list' ? '/list' : '/**'}`,
        fmt.n(r.records),
        fmt.s(r.seconds),
        b.calls,
        fmt.s(b.span),
        (b.calls / b.span).toFixed(2),
        `${(b.use * 100).toFixed(1)}%`,
        r.status429,
      ]);
    }
  } finally {
    await sim.stop();
  }
}
table(rows);
console.log(`\n${fmt.n(images)} images, pageSize 100, sliding window of ${limit} calls per ${windowSec} s per bucket (${limit / windowSec}/s allowed).`);
