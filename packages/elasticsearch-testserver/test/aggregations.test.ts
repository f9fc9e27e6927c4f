import type { errors } from '@elastic/elasticsearch';
import { beforeEach, describe, expect, it } from 'vitest';
import { useServer } from './support.js';

const severityFilter = (value: string) => ({ term: { 'vulnerability.severity': { value, case_insensitive: true } } });

/** getFindingsCountAggQueryVulnerabilities, as Kibana's findings page sends it. */
const KIBANA_COUNT = {
  count: {
    filters: {
      other_bucket_key: 'NONE',
      filters: { LOW: severityFilter('LOW'), MEDIUM: severityFilter('MEDIUM'), HIGH: severityFilter('HIGH'), CRITICAL: severityFilter('CRITICAL') },
    },
  },
};

describe('aggregations in _search', () => {
  const t = useServer();
  beforeEach(async () => {
    await t.client.indices.create({
      index: 'f',
      mappings: {
        properties: {
          '@timestamp': { type: 'date' },
          vulnerability: { properties: { id: { type: 'keyword' }, severity: { type: 'keyword' }, score: { properties: { base: { type: 'float' } } } } },
          resource: { properties: { id: { type: 'keyword' } } },
          package: { properties: { name: { type: 'keyword' } } },
          title: { type: 'text' },
          fixed: { type: 'boolean' },
        },
      },
    });
    const docs = [
      {
        vulnerability: { id: 'CVE-1', severity: 'HIGH', score: { base: 7.5 } },
        resource: { id: 'img-a' },
        package: { name: ['openssl', 'libssl'] },
        fixed: true,
      },
      { vulnerability: { id: 'CVE-1', severity: 'high', score: { base: 7.5 } }, resource: { id: 'img-b' }, package: { name: 'openssl' }, fixed: false },
      { vulnerability: { id: 'CVE-2', severity: 'CRITICAL', score: { base: 9.8 } }, resource: { id: 'img-a' }, package: { name: 'zlib' } },
      { vulnerability: { id: 'CVE-3', severity: 'LOW', score: { base: 2 } }, resource: { id: 'img-c' } },
      { vulnerability: { id: 'QID-9', severity: 'UNKNOWN' }, resource: { id: 'img-a' }, title: 'no score' },
    ].map((d, i) => ({ ...d, '@timestamp': `2024-03-0${i + 1}T00:00:00Z` }));
    await t.client.bulk({ refresh: true, operations: docs.flatMap((d, i) => [{ index: { _index: 'f', _id: `d${i}` } }, d]) });
  });

  const aggs = async (aggregations: Record<string, unknown>, size = 0) => {
    const r = await t.client.search({ index: 'f', size, aggregations: aggregations as never });
    return r.aggregations as Record<string, Record<string, unknown>>;
  };

  it("answers Kibana's severity count: named filters sorted by name, case-insensitive terms, the rest in the other bucket", async () => {
    const r = await t.client.search({ index: 'f', size: 0, aggs: KIBANA_COUNT });
    expect(r.hits).toEqual({ total: { value: 5, relation: 'eq' }, max_score: null, hits: [] });
    const buckets = (r.aggregations?.['count'] as { buckets: Record<string, { doc_count: number }> } | undefined)?.buckets ?? {};
    expect(Object.keys(buckets)).toEqual(['CRITICAL', 'HIGH', 'LOW', 'MEDIUM', 'NONE']);
    expect(buckets).toEqual({ CRITICAL: { doc_count: 1 }, HIGH: { doc_count: 2 }, LOW: { doc_count: 1 }, MEDIUM: { doc_count: 0 }, NONE: { doc_count: 1 } });
    const anonymous = await aggs({ a: { filters: { filters: [severityFilter('low'), { exists: { field: 'title' } }], other_bucket: true } } });
    expect(anonymous['a']).toEqual({ buckets: [{ doc_count: 1 }, { doc_count: 1 }, { doc_count: 3 }] });
  });

  it('groups with terms: by doc count then key, size and sum_other_doc_count, a value counted once per document', async () => {
    expect((await aggs({ r: { terms: { field: 'resource.id', size: 2 } } }))['r']).toEqual({
      doc_count_error_upper_bound: 0,
      sum_other_doc_count: 1,
      buckets: [
        { key: 'img-a', doc_count: 3 },
        { key: 'img-b', doc_count: 1 },
      ],
    });
    const packages = (await aggs({ p: { terms: { field: 'package.name' } } }))['p'] as { buckets: unknown[] };
    expect(packages.buckets).toEqual([
      { key: 'openssl', doc_count: 2 },
      { key: 'libssl', doc_count: 1 },
      { key: 'zlib', doc_count: 1 },
    ]);
    const byKey = (await aggs({ v: { terms: { field: 'vulnerability.id', order: { _key: 'desc' }, size: 2 } } }))['v'] as { buckets: unknown[] };
    expect(byKey.buckets).toEqual([
      { key: 'QID-9', doc_count: 1 },
      { key: 'CVE-3', doc_count: 1 },
    ]);
  });

  it('runs sub-aggregations in each bucket and orders terms by one of them', async () => {
    const r = await aggs({
      v: {
        terms: { field: 'vulnerability.id', order: { top: 'desc' } },
        aggs: { top: { max: { field: 'vulnerability.score.base' } }, images: { cardinality: { field: 'resource.id' } } },
      },
    });
    expect((r['v'] as { buckets: unknown[] }).buckets).toEqual([
      { key: 'CVE-2', doc_count: 1, top: { value: 9.800000190734863 }, images: { value: 1 } },
      { key: 'CVE-1', doc_count: 2, top: { value: 7.5 }, images: { value: 2 } },
      { key: 'CVE-3', doc_count: 1, top: { value: 2 }, images: { value: 1 } },
      { key: 'QID-9', doc_count: 1, top: { value: null }, images: { value: 1 } },
    ]);
  });

  it("pages groups as Kibana's grouping does: terms, a value_count per bucket, bucket_sort by it with from and size, a cardinality", async () => {
    const r = await aggs({
      groupByFields: {
        terms: { field: 'resource.id', size: 100 },
        aggs: {
          unitsCount: { value_count: { field: 'resource.id' } },
          bucket_truncate: { bucket_sort: { sort: [{ unitsCount: { order: 'asc' } }, { _key: 'desc' }], from: 1, size: 2 } },
        },
      },
      groupsCount: { cardinality: { field: 'resource.id' } },
    });
    expect(r['groupByFields']).toEqual({
      doc_count_error_upper_bound: 0,
      sum_other_doc_count: 0,
      buckets: [
        { key: 'img-b', doc_count: 1, unitsCount: { value: 1 } },
        { key: 'img-a', doc_count: 3, unitsCount: { value: 3 } },
      ],
    });
    expect(r['groupsCount']).toEqual({ value: 3 });
    const misplaced = await t.client.search({ index: 'f', aggs: { b: { bucket_sort: { size: 1 } } } as never }).catch((e: errors.ResponseError) => e);
    expect((misplaced as errors.ResponseError).statusCode).toBe(400);
  });

  it('answers value_count, cardinality, max and min (dates with value_as_string), and keys dates and booleans as a node does', async () => {
    const r = await aggs({
      count: { value_count: { field: 'vulnerability.score.base' } },
      distinct: { cardinality: { field: 'vulnerability.id' } },
      latest: { max: { field: '@timestamp' } },
      lowest: { min: { field: 'vulnerability.score.base' } },
      none: { max: { field: 'unmapped' } },
      fixed: { terms: { field: 'fixed' } },
      days: { terms: { field: '@timestamp', size: 1, order: { _key: 'asc' } } },
    });
    expect(r['count']).toEqual({ value: 4 });
    expect(r['distinct']).toEqual({ value: 4 });
    expect(r['latest']).toEqual({ value: Date.parse('2024-03-05T00:00:00Z'), value_as_string: '2024-03-05T00:00:00.000Z' });
    expect(r['lowest']).toEqual({ value: 2 });
    expect(r['none']).toEqual({ value: null });
    expect((r['fixed'] as { buckets: unknown[] }).buckets).toEqual([
      { key: 0, key_as_string: 'false', doc_count: 1 },
      { key: 1, key_as_string: 'true', doc_count: 1 },
    ]);
    expect((r['days'] as { buckets: unknown[] }).buckets).toEqual([
      { key: Date.parse('2024-03-01T00:00:00Z'), key_as_string: '2024-03-01T00:00:00.000Z', doc_count: 1 },
    ]);
  });

  it('aggregates only what the query matched, and fails as a node does on a text field or an unknown type', async () => {
    const r = await t.client.search({ index: 'f', size: 1, query: { term: { 'resource.id': 'img-a' } }, aggs: KIBANA_COUNT });
    expect(r.hits.hits).toHaveLength(1);
    expect((r.aggregations?.['count'] as { buckets: Record<string, { doc_count: number }> } | undefined)?.buckets['NONE']).toEqual({ doc_count: 1 });
    const text = await t.client.search({ index: 'f', aggs: { t: { terms: { field: 'title' } } } }).catch((e: errors.ResponseError) => e);
    expect((text as errors.ResponseError).statusCode).toBe(400);
    expect((text as errors.ResponseError).body).toMatchObject({
      error: {
        root_cause: [{ type: 'illegal_argument_exception', reason: expect.stringMatching(/^Fielddata is disabled on \[title\] in \[f\]/) }],
        type: 'search_phase_execution_exception',
        reason: 'all shards failed',
      },
      status: 400,
    });
    const unknown = await t.client.search({ index: 'f', aggs: { x: { geo_bounds: { field: 'y' } } } }).catch((e: errors.ResponseError) => e);
    expect((unknown as errors.ResponseError).body).toMatchObject({ error: { type: 'parsing_exception', reason: expect.stringContaining('[geo_bounds]') } });
  });
});
