import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startElasticsearchTestServer, TEST_TLS, type EsTestServer } from '@qcs-export/elasticsearch-testserver';
import { makeRunContext, makeTestRecords } from '@qcs-export/sink-testkit';
import { elasticsearchSink } from '../src/index.js';

const caFile = TEST_TLS.certFile;
const fingerprint = TEST_TLS.sha256Fingerprint;

describe('elasticsearch sink over https', () => {
  let server: EsTestServer;
  let dir: string;
  beforeAll(async () => {
    server = await startElasticsearchTestServer({ tls: { key: await readFile(TEST_TLS.keyFile), cert: await readFile(caFile) } });
    dir = await mkdtemp(join(tmpdir(), 'qcs-es-tls-'));
  });
  afterAll(async () => {
    await server.close();
    await rm(dir, { recursive: true, force: true });
  });

  const exportWith = async (tls: Record<string, string> | undefined, index: string) => {
    const sink = elasticsearchSink.create(
      elasticsearchSink.options.parse({ node: server.url, index, ...(tls ? { tls } : {}), requestTimeoutMs: 3000 }),
      makeRunContext({ baseDir: dir }),
    );
    await sink.open();
    await sink.write(makeTestRecords(10));
    return sink.close();
  };

  it('trusts a private CA given as tls.caFile', async () => {
    expect((await exportWith({ caFile }, 'tls-ca')).records).toBe(10);
    expect(server.documents('tls-ca').size).toBe(10);
  });

  it('trusts a CA pinned by its SHA-256 fingerprint', async () => {
    expect((await exportWith({ caFile, caFingerprint: fingerprint }, 'tls-pin')).records).toBe(10);
  });

  it('refuses a certificate it cannot verify, before sending any document', async () => {
    await expect(exportWith(undefined, 'tls-none')).rejects.toThrow(
      /cannot reach Elasticsearch at https:\/\/127\.0\.0\.1:\d+ while connecting: .*(self[- ]signed|certificate)/i,
    );
    await expect(exportWith({ caFile, caFingerprint: fingerprint.replace('3F', '00') }, 'tls-wrong-pin')).rejects.toThrow(/fingerprint|certificate/i);
    expect(server.indices()).not.toContain('tls-none');
    expect(server.indices()).not.toContain('tls-wrong-pin');
  });

  it('says which CA file cannot be read', async () => {
    await expect(exportWith({ caFile: join(dir, 'missing.pem') }, 'tls-missing')).rejects.toThrow(/tls\.caFile .*missing\.pem cannot be read: ENOENT/);
  });
});
