// One Elasticsearch findings case: the sink with `records: findings`, or client.helpers.bulk sending the same finding
// documents, built as the sink builds them (core's rowsOf, then the sink's ecsFinding), with the same flushBytes and
// concurrency. Prints documents, bytes sent, wall time, and peak heap sampled while it runs.
// args: case (sink | sink-no-run-id | helpers-bulk) findings flushBytes url
// Against a real node (ELASTICSEARCH_URL set; ELASTICSEARCH_API_KEY when it needs one) its index and template are deleted afterwards.
import { Client } from '@elastic/elasticsearch';
import { rowsOf } from '@qcs-export/core';
import { elasticsearchSink, templateNameOf } from '@qcs-export/sink-elasticsearch';
import { report } from '../lib.mjs';
import { findingPages } from './finding-pages.mjs';
import { benchRunContext } from './run-context.mjs';

// ecsFinding is the sink's own module, not part of its public entry: loaded from the built package beside it.
const { ecsFinding } = await import(new URL('./ecs-finding.js', import.meta.resolve('@qcs-export/sink-elasticsearch')));

const [kind, countArg, flushBytesArg, url] = process.argv.slice(2);
const findings = Number(countArg);
const flushBytes = Number(flushBytesArg);
const concurrency = 2;
const apiKey = process.env.ELASTICSEARCH_API_KEY;
const auth = apiKey ? { apiKey } : undefined;
const startedAt = new Date();
// A run id, as every scheduled run has: it goes into each document, and the sink uses it to remove fixed findings
// (sink-no-run-id leaves it out, to show what that removal costs).
const runId = kind === 'sink-no-run-id' ? undefined : `bench-${startedAt.getTime()}`;
const ctx = benchRunContext({ startedAt, runId });
const index = `bench-findings-${kind}-${startedAt.getTime()}`;
// flushDocs at its maximum, so that bytes alone cut requests, as helpers.bulk cuts them.
const options = elasticsearchSink.options.parse({
  node: url,
  ...(auth ? { auth } : {}),
  index,
  records: 'findings',
  flushBytes,
  flushDocs: 100_000,
  concurrency,
});

// The peak heap, sampled every 5 ms, garbage included: how far V8 lets the heap grow. Run with --expose-gc, the
// sampler collects first (every 100 ms), so the peak is what the process holds at once: the figure the batch size
// must bound whatever the count. Those runs measure memory only; their timings are not comparable.
let peakHeap = 0;
const collect = globalThis.gc;
const sample = () => {
  collect?.();
  peakHeap = Math.max(peakHeap, process.memoryUsage().heapUsed);
};
const sampler = setInterval(sample, collect ? 100 : 5);
sample();

const client = new Client({ node: url, ...(auth ? { auth } : {}) });
let started;
let cpuBefore;
let extra;
try {
  if (kind === 'sink' || kind === 'sink-no-run-id') {
    started = performance.now();
    cpuBefore = process.cpuUsage();
    const sink = elasticsearchSink.create(options, ctx);
    await sink.open();
    for (const page of findingPages(findings)) await sink.write(page);
    const summary = await sink.close();
    extra = { written: summary.records, bytes: summary.bytes, requests: summary.details.requests };
  } else if (kind === 'helpers-bulk') {
    // The index with the sink's template and mapping, made before the clock starts, so both write into the same mapping.
    const setup = elasticsearchSink.create(options, { ...ctx, runId: undefined });
    await setup.open();
    await setup.abort(new Error('set-up only'));
    const timestamp = startedAt.toISOString();
    // The sink's _id, the finding key, whatever field of the document carries it.
    const ids = new WeakMap();
    started = performance.now();
    cpuBefore = process.cpuUsage();
    const result = await client.helpers.bulk({
      datasource: (async function* () {
        for (const page of findingPages(findings))
          for (const row of rowsOf(page, 'findings', ctx)) {
            const doc = ecsFinding(row, timestamp, runId);
            ids.set(doc, row.findingKey);
            yield doc;
          }
      })(),
      onDocument: (doc) => ({ index: { _index: index, _id: ids.get(doc) } }),
      concurrency,
      flushBytes,
      refreshOnCompletion: index,
    });
    extra = { written: result.successful, bytes: result.bytes, failed: result.failed };
  } else throw new Error(`unknown case ${kind}`);
} finally {
  clearInterval(sampler);
  sample();
}
const seconds = (performance.now() - started) / 1000;
const cpu = process.cpuUsage(cpuBefore);
// What was sent, counted by Elasticsearch itself, so the two cases are compared on the same documents.
const counted = (await client.count({ index })).count;
if (process.env.ELASTICSEARCH_URL) {
  await client.indices.delete({ index, ignore_unavailable: true });
  await client.indices.deleteIndexTemplate({ name: templateNameOf(options) }).catch(() => undefined);
}
await client.close();
report(extra.written, started, {
  ...extra,
  counted,
  seconds,
  perSecond: extra.written / seconds,
  peakHeapMB: peakHeap / 2 ** 20,
  cpuSeconds: (cpu.user + cpu.system) / 1e6,
  mbPerSecond: extra.bytes / 2 ** 20 / seconds,
});
