// The Elasticsearch test server alone in a process, so the documents it keeps never count toward the exporter's
// peak RSS: prints {url} and serves until SIGTERM.
import { startElasticsearchTestServer } from '@qcs-export/elasticsearch-testserver';

const server = await startElasticsearchTestServer(JSON.parse(process.argv[2] ?? '{}'));
console.log(JSON.stringify({ url: server.url }));
process.on('SIGTERM', async () => {
  await server.close();
  process.exit(0);
});
