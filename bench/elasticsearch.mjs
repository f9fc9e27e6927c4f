// Elasticsearch: docs/s and peak RSS of the sink into the test server at 200k images, next to
// client.helpers.bulk sending the same documents bare. The server runs in its own process, fresh per case.
import { fmt, runCase, startServerProcess, table } from './lib.mjs';

const total = Number(process.env.BENCH_ES_DOCS ?? 200_000);

const startServer = () => startServerProcess('es-server.mjs', {});

const rows = [['documents', 'case', 'docs/s', 'wall', 'peak RSS', 'written', 'vs bare']];
const results = {};
const small = Math.round(total / 4);
for (const [key, kind, count] of [
  ['sink', 'sink', total],
  ['helpers-bulk', 'helpers-bulk', total],
  ['sink-small', 'sink', small],
]) {
  const server = await startServer();
  try {
    results[key] = await runCase('elasticsearch.mjs', [kind, count, server.url]);
  } finally {
    await server.stop();
  }
}
const bare = results['helpers-bulk'];
for (const [kind, label] of [
  ['sink', 'qcs-export Elasticsearch sink (_id = sha, template, refresh)'],
  ['helpers-bulk', 'bare client.helpers.bulk (same docs, concurrency 2, 5 MB)'],
]) {
  const r = results[kind];
  rows.push([fmt.n(total), label, fmt.n(r.perSecond), fmt.s(r.seconds), fmt.mb(r.maxRssMB), fmt.n(r.written), fmt.x(r.seconds / bare.seconds)]);
}
const r = results['sink-small'];
rows.push([fmt.n(small), 'qcs-export Elasticsearch sink', fmt.n(r.perSecond), fmt.s(r.seconds), fmt.mb(r.maxRssMB), fmt.n(r.written), '']);
table(rows);
console.log(`\nSink peak RSS: ${fmt.mb(r.maxRssMB)} at ${fmt.n(small)} documents, ${fmt.mb(results['sink'].maxRssMB)} at ${fmt.n(total)}.`);
console.log('\nThe test server is a loopback Node process that parses every bulk body and checks each document against its mapping; a real cluster is slower.');
