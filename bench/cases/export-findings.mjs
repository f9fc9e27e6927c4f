// One enriched export: the image source, the enrichment stage (one details call per image with vulnerabilities) and
// finding rows written by a sink, or by nothing ("none": the same rows, only counted), against a simulator in its own
// process. Prints findings written, wall time, peak RSS, and the enrichment calls' rate while they were busy.
// args: url username password sink(jsonl|csv|excel|elasticsearch|none) concurrency outDir [elasticsearchUrl]
import { join } from 'node:path';
import { enrichImages, findingRows, imageSource, QualysClient } from '@qcs-export/core';
import { csvSink } from '@qcs-export/sink-csv';
import { elasticsearchSink } from '@qcs-export/sink-elasticsearch';
import { excelSink } from '@qcs-export/sink-excel';
import { jsonlSink } from '@qcs-export/sink-jsonl';
import { countingLogger, report } from '../lib.mjs';
import { benchRunContext } from './run-context.mjs';

const [url, username, password, sinkName, concurrency, outDir, esUrl] = process.argv.slice(2);
// Counts the governor's "another client" inferences: against a server no one else uses, each is a false one.
const inferences = countingLogger('another client');
const logger = inferences.logger;
const client = new QualysClient({ baseUrl: url, auth: { kind: 'jwt', username, password }, logger });
const detailTimes = [];
const timed = {
  async get(path, query, options) {
    const response = await client.get(path, query, options);
    if (/\/images\/[0-9a-f]{64}$/.test(path)) detailTimes.push(performance.now());
    return response;
  },
};
const ctx = benchRunContext({ baseDir: outDir });
const sinks = {
  jsonl: () => jsonlSink.create(jsonlSink.options.parse({ path: join(outDir, 'findings.jsonl'), records: 'findings' }), ctx),
  csv: () => csvSink.create(csvSink.options.parse({ path: join(outDir, 'findings.csv'), records: 'findings' }), ctx),
  // The workbook's Images sheet plus its Findings and SLA sheets: the findings are what costs.
  excel: () => excelSink.create(excelSink.options.parse({ path: join(outDir, 'findings.xlsx'), records: ['images', 'findings'] }), ctx),
  elasticsearch: () => elasticsearchSink.create(elasticsearchSink.options.parse({ node: esUrl, index: 'bench-findings', records: 'findings' }), ctx),
};
const sink = sinks[sinkName]?.();
const started = performance.now();
const source = enrichImages(imageSource({ client: timed, strategy: 'auto', pageSize: 500 }), { client: timed, concurrency: Number(concurrency) });
let findings = 0;
await sink?.open();
for await (const batch of source) {
  if (sink) await sink.write(batch);
  else for (const image of batch) findings += findingRows(image, 'findings', { now: ctx.startedAt }).length;
}
await sink?.close();
const span = (detailTimes.at(-1) - detailTimes[0]) / 1000;
if (!sink && findings !== source.stats.findings) throw new Error(`made ${findings} rows from ${source.stats.findings} findings`);
// Findings read: what every sink wrote (rows for the file sinks and documents for Elasticsearch; the workbook's
// summary counts images, its Findings sheet these).
report(source.stats.findings, started, {
  calls: source.stats.calls,
  callsPerSecond: detailTimes.length / span,
  status429: client.stats.status429,
  othersInferred: inferences.count(),
});
await client.close();
