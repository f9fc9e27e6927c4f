import { readFile } from 'node:fs/promises';
import { Client, errors } from '@elastic/elasticsearch';
import { describe, expect, it } from 'vitest';
import { startElasticsearchTestServer, TEST_TLS } from '../src/index.js';

describe('https', () => {
  it('serves https with the given key and certificate: a client trusting it connects, one that does not is refused', async () => {
    const [key, cert] = await Promise.all([readFile(TEST_TLS.keyFile), readFile(TEST_TLS.certFile)]);
    const server = await startElasticsearchTestServer({ tls: { key, cert } });
    const trusting = new Client({ node: server.url, tls: { ca: cert }, maxRetries: 0 });
    const wary = new Client({ node: server.url, maxRetries: 0 });
    try {
      expect(server.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
      expect((await trusting.info()).cluster_name).toBe('qcs-export-test');
      await expect(wary.info()).rejects.toBeInstanceOf(errors.ConnectionError);
    } finally {
      await Promise.all([trusting.close(), wary.close()]);
      await server.close();
    }
  });
});
