// One Elasticsearch case: our sink, or client.helpers.bulk sending the same documents bare.
// args: case (sink | helpers-bulk) documents url
// Documents come from a fixed pool of normalized simulator images, reused page after page (as in tabular.mjs).
import { Client } from '@elastic/elasticsearch';
import { elasticsearchSink } from '@qcs-export/sink-elasticsearch';
import { report } from '../lib.mjs';
import { recordPages } from './record-pages.mjs';
import { benchRunContext } from './run-context.mjs';

const [kind, countArg, url] = process.argv.slice(2);
const total = Number(countArg);
const pages = () => recordPages(total);
const startedAt = new Date();
const ctx = benchRunContext({ startedAt });
const index = 'bench-images';

const started = performance.now();
let extra = {};
if (kind === 'sink') {
  const sink = elasticsearchSink.create(elasticsearchSink.options.parse({ node: url, index }), ctx);
  await sink.open();
  for (const page of pages()) await sink.write(page);
  const summary = await sink.close();
  extra = { written: summary.records, requests: summary.details.requests };
} else if (kind === 'helpers-bulk') {
  const client = new Client({ node: url });
  const timestamp = startedAt.toISOString();
  const result = await client.helpers.bulk({
    datasource: (async function* () {
      for (const page of pages()) for (const record of page) yield { '@timestamp': timestamp, ...record };
    })(),
    onDocument: (doc) => ({ index: { _index: index, _id: doc.sha } }),
    concurrency: 2,
    flushBytes: 5_000_000,
    refreshOnCompletion: index,
  });
  await client.close();
  extra = { written: result.successful, requests: 'n/a' };
} else throw new Error(`unknown case ${kind}`);
report(total, started, extra);
