// Ours: QualysClient + imageSource + the JSON Lines sink, as the runner wires them.
// args: url username password outFile concurrency prefetch strategy pageSize
import { imageSource, QualysClient } from '@qcs-export/core';
import { jsonlSink } from '@qcs-export/sink-jsonl';
import { report } from '../lib.mjs';
import { benchRunContext } from './run-context.mjs';

const [url, username, password, out, concurrency = '4', prefetchPages = '2', strategy = 'auto', pageSize = '1000'] = process.argv.slice(2);
const started = performance.now();
const client = new QualysClient({ baseUrl: url, auth: { kind: 'jwt', username, password } });
const ctx = benchRunContext({ sourceLabel: url });
const sink = jsonlSink.create(jsonlSink.options.parse({ path: out }), ctx);
await sink.open();
let records = 0;
const source = imageSource({ client, strategy, pageSize: Number(pageSize), concurrency: Number(concurrency), prefetch: Number(prefetchPages) });
for await (const batch of source) {
  await sink.write(batch);
  records += batch.length;
}
await sink.close();
await client.close();
report(records, started, { requests: client.stats.requests, strategy: source.stats.strategy, status429: client.stats.status429 ?? 0 });
