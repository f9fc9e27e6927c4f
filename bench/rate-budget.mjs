// How much of a subscription's call rate an image-list export uses, and whether it causes 429s, against an
// independent rate-limited front (rate-front.mjs: a plain sliding window on arrival times, X-RateLimit-* on every
// answer, Remaining counted including the current call, a 429 with ToWait in whole seconds when over) in front of
// the simulator. Use is read from the front's arrival log: the server's window occupancy averaged over the busy
// period after its first window (see rateUse), next to the ceiling that latency sets (a slot is reusable only once
// the answer is in, and the next call counts when it arrives: window / (window + round trip)). Concurrency 1 is bound
// by its own round trips (one call at a time). Prints figures; never fails on timing.
// BENCH_RATE_WINDOWS (2,60), BENCH_RATE_LATENCIES (0,100a,100b), BENCH_RATE_CONCURRENCY (1,8,32), BENCH_RATE_KINDS
// (images,bulk) cut the matrix down; BENCH_RATE_SMALL=1 uses a small data set under a lower cap (see below). Cases
// with a 60 s window run about 2.5 minutes each.
import { table } from './lib.mjs';
import { HEADER, matrix, measure, row } from './rate-matrix.mjs';

const kinds = (process.env.BENCH_RATE_KINDS ?? 'images,bulk').split(',');
const rows = [HEADER];
for (const c of matrix({ windows: '2', latencies: '0,100a,100b', concurrency: '1,8,32' })) {
  for (const kind of kinds) {
    // 20 calls per 2 s as in the issue; 300 per 60 s with small pages, so the busy period spans about 2.5 windows.
    // BENCH_RATE_SMALL=1: 3,000 images under a 1,000 cap (source.resultCap), the same paths (auto pages past the cap)
    // on a data set the simulator answers in a few milliseconds, to tell the governor's limits from the simulator's.
    const small = process.env.BENCH_RATE_SMALL === '1' ? { images: 3000, resultCap: 1000 } : {};
    const size = {
      ...(c.windowSec >= 60 ? { limit: 300, images: 15000, pageSize: 20 } : { limit: 20, images: 15000, pageSize: 100 }),
      ...small,
      // As many pages as the full-size case reads, so the busy period spans as many windows.
      ...(small.images ? { pageSize: c.windowSec >= 60 ? 4 : 20 } : {}),
    };
    const strategy = kind === 'images' ? 'auto' : kind;
    const m = await measure({ ...c, ...size, kind: strategy });
    rows.push(row(`${kind === 'images' ? 'auto (/images)' : 'bulk (/images/list)'}`, { ...c, ...size }, m));
    console.error(rows.at(-1).join('  '));
  }
}
table(rows);
