// One export against a simulator (its own process) that enforces a SLIDING-window rate limit and sends
// X-RateLimit-Limit / -Window-Sec / -Remaining / -ToWait-Sec on every answer: how much of the allowed call rate
// the export uses while it has work, and how many 429s it received.
// args: url username password strategy concurrency pageSize limit windowSec [resultCap]
import { imageSource, QualysClient } from '@qcs-export/core';
import { countingLogger } from '../lib.mjs';

const [url, username, password, strategy, concurrency, pageSize, limit, windowSec, resultCap] = process.argv.slice(2);
// Counts the governor's "another client" inferences: against a server no one else uses, each is a false one.
const inferences = countingLogger('another client');
const logger = inferences.logger;
const client = new QualysClient({ baseUrl: url, auth: { kind: 'jwt', username, password }, logger });
// Answer times per bucket, as this client saw them.
const answered = { images: [], list: [] };
const timed = {
  async get(path, query, options) {
    const response = await client.get(path, query, options);
    answered[path.endsWith('/list') ? 'list' : 'images'].push(performance.now());
    return response;
  },
};
const started = performance.now();
let records = 0;
const source = imageSource({
  client: timed,
  strategy,
  pageSize: Number(pageSize),
  concurrency: Number(concurrency),
  ...(resultCap ? { resultCap: Number(resultCap) } : {}),
});
for await (const batch of source) records += batch.length;
const seconds = (performance.now() - started) / 1000;
const allowedPerSecond = Number(limit) / Number(windowSec);
const buckets = Object.fromEntries(
  Object.entries(answered)
    .filter(([, times]) => times.length > 1)
    .map(([name, times]) => {
      // The busy part of the bucket: from its first answer to its last.
      const span = (times[times.length - 1] - times[0]) / 1000;
      return [name, { calls: times.length, span, use: times.length / span / allowedPerSecond }];
    }),
);
console.log(
  JSON.stringify({
    records,
    seconds,
    strategy: source.stats.strategy,
    status429: client.stats.status429,
    othersInferred: inferences.count(),
    buckets,
    requests: client.stats.requests,
  }),
);
await client.close();
