import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from '@elastic/elasticsearch';
import { describe, expect, it } from 'vitest';
import { normalizeContainer, normalizeImage, type RunContainer } from '@qcs-export/core';
import { makeRunContext, makeTestRecords, runSinkContract } from '@qcs-export/sink-testkit';
import { elasticsearchSink } from '../src/index.js';

// Runs against a real cluster when ELASTICSEARCH_URL is set (examples/elasticsearch/compose.yaml starts one:
// ELASTICSEARCH_URL=http://127.0.0.1:9200 pnpm test). ELASTICSEARCH_API_KEY is used when set.
const url = process.env['ELASTICSEARCH_URL'];
const apiKey = process.env['ELASTICSEARCH_API_KEY'];
const title = url
  ? `elasticsearch sink against the real cluster at ${new URL(url).origin}`
  : 'elasticsearch sink against a real cluster (skipped: set ELASTICSEARCH_URL to run it)';

describe.skipIf(!url)(title, () => {
  const auth = apiKey ? { apiKey } : undefined;
  const client = () => new Client({ node: url as string, ...(auth ? { auth } : {}) });

  async function exportTo(options: Record<string, unknown>, records = makeTestRecords(300, { hostile: true, seed: 21 }), startedAt?: Date) {
    const dir = await mkdtemp(join(tmpdir(), 'qcs-es-real-'));
    try {
      const sink = elasticsearchSink.create(
        elasticsearchSink.options.parse({ node: url, ...(auth ? { auth } : {}), ...options }),
        makeRunContext({ baseDir: dir, ...(startedAt ? { startedAt } : {}) }),
      );
      await sink.open();
      for (let i = 0; i < records.length; i += 100) await sink.write(records.slice(i, i + 100));
      return { summary: await sink.close(), records };
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }

  it('indexes every image once under its sha with the template mapping, and a re-run updates in place', async () => {
    const index = `qcs-export-test-${Date.now()}`;
    const es = client();
    try {
      const { summary, records } = await exportTo({ index });
      expect(summary).toMatchObject({ records: 300, rejected: 0 });
      expect((await es.count({ index })).count).toBe(300);
      const again = await exportTo({ index });
      expect(again.summary.details).toMatchObject({ updated: 300 });
      expect((await es.count({ index })).count).toBe(300);
      const doc = await es.get<Record<string, unknown>>({ index, id: (records[5] as { sha: string }).sha });
      expect(doc._source?.['sha']).toBe(records[5]?.sha);
      expect(doc._version).toBe(2);
      const mapping = (await es.indices.getMapping({ index }))[index]?.mappings.properties as Record<string, { type?: string }>;
      expect(mapping['created']?.type).toBe('date');
      expect(mapping['sha']?.type).toBe('keyword');
      const hits = await es.search({ index, query: { term: { 'repo.repository': records[1]?.repo[0]?.repository ?? 'none' } } });
      expect((hits.hits.total as { value: number }).value).toBeGreaterThan(0);
    } finally {
      await es.indices.delete({ index, ignore_unavailable: true });
      await es.indices.deleteIndexTemplate({ name: `qcs-export-${index}` }).catch(() => undefined);
      await es.close();
    }
  });

  it('indexes containers and container findings with their ECS mapping (issue 21)', async () => {
    const stamp = Date.now();
    const image = normalizeImage(
      {
        sha: 'e'.repeat(64),
        repo: [{ registry: 'docker.io', repository: 'team/api', tag: '1.2' }],
        vulnerabilities: [
          { qid: 1, severity: 5, cveids: ['CVE-2025-1'], firstFound: String(stamp - 86_400_000), software: [{ name: 'openssl', version: '3.0.1' }] },
          { qid: 2, severity: 3, isExempted: true, firstFound: String(stamp - 86_400_000) },
        ],
      },
      'images/details',
    );
    const containers: RunContainer[] = [1, 2].map((n) => ({
      container: normalizeContainer(
        {
          sha: String(n).repeat(64),
          name: `api-${n}`,
          state: 'RUNNING',
          imageSha: image.sha,
          // The second host's address is not one: the document is kept, host.ip left unindexed.
          host: { hostname: `node-${n}`, ipAddress: n === 1 ? '10.0.0.1' : 'unknown' },
          cluster: { name: 'prod', k8s: { pod: { name: `api-${n}-pod`, namespace: 'payments' } } },
        },
        'containers',
      ),
      image,
    }));
    const es = client();
    const indices = { containers: `qcs-export-test-containers-${stamp}`, 'container-findings': `qcs-export-test-container-findings-${stamp}` };
    const dir = await mkdtemp(join(tmpdir(), 'qcs-es-real-'));
    try {
      for (const [records, index] of Object.entries(indices)) {
        const sink = elasticsearchSink.create(
          elasticsearchSink.options.parse({ node: url, ...(auth ? { auth } : {}), index, records }),
          makeRunContext({ baseDir: dir, runId: `run-${stamp}` }),
        );
        await sink.open();
        await sink.writeContainers?.(containers);
        expect(await sink.close()).toMatchObject({ records: records === 'containers' ? 2 : 4, rejected: 0 });
        const mapping = (await es.indices.getMapping({ index }))[index]?.mappings as {
          properties: Record<string, { properties?: Record<string, { type?: string }> }>;
        };
        expect(mapping.properties['container']?.properties?.['id']?.type).toBe('keyword');
        expect(mapping.properties['host']?.properties?.['ip']?.type).toBe('ip');
        const inPayments = await es.count({ index, query: { term: { 'orchestrator.namespace': 'payments' } } });
        expect(inPayments.count).toBe(records === 'containers' ? 2 : 4);
      }
      const byContainer = await es.count({ index: indices['container-findings'], query: { term: { 'resource.id': '1'.repeat(64) } } });
      expect(byContainer.count).toBe(2);
    } finally {
      for (const index of Object.values(indices)) {
        await es.indices.delete({ index, ignore_unavailable: true });
        await es.indices.deleteIndexTemplate({ name: `qcs-export-${index}` }).catch(() => undefined);
      }
      await es.close();
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('appends to a data stream across runs', async () => {
    const index = `qcs-export-test-ds-${Date.now()}`;
    const es = client();
    try {
      const records = makeTestRecords(50);
      await exportTo({ index, dataStream: true }, records);
      await exportTo({ index, dataStream: true }, records, new Date(Date.now() + 60_000));
      expect((await es.count({ index })).count).toBe(100);
    } finally {
      await es.indices.deleteDataStream({ name: index }).catch(() => undefined);
      await es.indices.deleteIndexTemplate({ name: `qcs-export-${index}` }).catch(() => undefined);
      await es.close();
    }
  });
});

// The shared sink contract, against the real cluster: the same cases the test server runs.
if (url) {
  let n = 0;
  runSinkContract({
    name: `elasticsearch (real cluster at ${new URL(url).origin})`,
    commit: elasticsearchSink.commit(elasticsearchSink.options.parse({ node: url, index: 'contract' })),
    // The document is the record as JSON plus @timestamp, which readBack() leaves out.
    expected: (record) => JSON.parse(JSON.stringify(record)) as { sha: string } & Record<string, unknown>,
    async setup() {
      const dir = await mkdtemp(join(tmpdir(), 'qcs-es-real-'));
      const index = `qcs-export-contract-${Date.now()}-${++n}`;
      const auth = apiKey ? { apiKey } : undefined;
      const es = new Client({ node: url, ...(auth ? { auth } : {}) });
      const make = () =>
        elasticsearchSink.create(elasticsearchSink.options.parse({ node: url, index, ...(auth ? { auth } : {}) }), makeRunContext({ baseDir: dir }));
      return {
        sink: make(),
        another: make,
        async readBack() {
          await es.indices.refresh({ index });
          const found = await es.search<{ sha: string; '@timestamp'?: string }>({ index, size: 10_000, query: { match_all: {} } });
          return found.hits.hits.map((h) => {
            const { '@timestamp': _, ...record } = h._source as { sha: string; '@timestamp'?: string };
            return record;
          });
        },
        leftovers: () => readdir(dir),
        async teardown() {
          await es.indices.delete({ index, ignore_unavailable: true });
          await es.indices.deleteIndexTemplate({ name: `qcs-export-${index}` }).catch(() => undefined);
          await es.close();
          await rm(dir, { recursive: true, force: true });
        },
      };
    },
  });
}
