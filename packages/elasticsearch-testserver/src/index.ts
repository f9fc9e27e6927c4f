export { startElasticsearchTestServer, type EsFault, type EsTestServer, type EsTestServerOptions } from './es-server.js';
export type { IndexTemplate, StoredDoc } from './es-store.js';
export type { FieldMapping } from './es-mappings.js';
export type { ServerStats } from './es-router.js';
export { TEST_TLS } from './test-tls.js';
