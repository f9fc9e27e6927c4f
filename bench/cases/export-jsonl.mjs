// Ours: QualysClient + imageSource + the JSON Lines sink, as the runner wires them.
// args: url username password outFile concurrency prefetch
import { imageSource, QualysClient, silentLogger } from '@qcs-export/core';
import { jsonlSink } from '@qcs-export/sink-jsonl';
import { report } from '../lib.mjs';

const [url, username, password, out, concurrency = '4', prefetchPages = '2'] = process.argv.slice(2);
const started = performance.now();
const client = new QualysClient({ baseUrl: url, auth: { kind: 'jwt', username, password } });
const ctx = { startedAt: new Date(), toolVersion: 'bench', sourceLabel: url, filter: undefined, baseDir: process.cwd(), logger: silentLogger, signal: new AbortController().signal };
const sink = jsonlSink.create(jsonlSink.options.parse({ path: out }), ctx);
await sink.open();
let records = 0;
for await (const batch of imageSource({ client, pageSize: 1000, concurrency: Number(concurrency), prefetch: Number(prefetchPages) })) {
  await sink.write(batch);
  records += batch.length;
}
await sink.close();
await client.close();
report(records, started, { requests: client.stats.requests });
