import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from '@elastic/elasticsearch';
import { describe, expect, it } from 'vitest';
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
