// One enriched export: the image source, the enrichment stage (one details call per image with vulnerabilities) and
// finding rows written by a sink, or by nothing ("none": the same rows, only counted), against a simulator in its own
// process. Prints findings written, wall time, peak RSS, and the enrichment calls' rate while they were busy.
// args: url username password sink(jsonl|csv|none) concurrency outDir
import { join } from 'node:path';
import { enrichImages, findingRows, imageSource, QualysClient, silentLogger } from '@qcs-export/core';
import { csvSink } from '@qcs-export/sink-csv';
import { jsonlSink } from '@qcs-export/sink-jsonl';
import { report } from '../lib.mjs';

const [url, username, password, sinkName, concurrency, outDir] = process.argv.slice(2);
const client = new QualysClient({ baseUrl: url, auth: { kind: 'jwt', username, password } });
const detailTimes = [];
const timed = {
  async get(path, query, options) {
    const response = await client.get(path, query, options);
    if (/\/images\/[0-9a-f]{64}$/.test(path)) detailTimes.push(performance.now());
    return response;
  },
};
const ctx = {
  startedAt: new Date(),
  toolVersion: 'bench',
  sourceLabel: 'bench',
  filter: undefined,
  baseDir: outDir,
  logger: silentLogger,
  signal: new AbortController().signal,
};
const plugin = sinkName === 'jsonl' ? jsonlSink : sinkName === 'csv' ? csvSink : undefined;
const sink = plugin?.create(plugin.options.parse({ path: join(outDir, `findings.${sinkName}`), records: 'findings' }), ctx);
const started = performance.now();
const source = enrichImages(imageSource({ client: timed, strategy: 'auto', pageSize: 500 }), { client: timed, concurrency: Number(concurrency) });
let findings = 0;
await sink?.open();
for await (const batch of source) {
  if (sink) await sink.write(batch);
  else for (const image of batch) findings += findingRows(image, 'findings', { now: ctx.startedAt }).length;
}
const summary = await sink?.close();
const span = (detailTimes.at(-1) - detailTimes[0]) / 1000;
report(summary?.records ?? findings, started, { calls: source.stats.calls, callsPerSecond: detailTimes.length / span, status429: client.stats.status429 });
await client.close();
