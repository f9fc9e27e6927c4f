import { describe, expect, it } from 'vitest';
import { useServer } from './support.js';

const DAY = 86_400_000;
const ALIAS = 'security_solution-qualys_cs.vulnerability_latest';
const severityBucket = (value: string) => ({ term: { 'vulnerability.severity': { value, case_insensitive: true } } });

/** getVulnerabilitiesQuery (Kibana's findings page), written out as the page sends it. */
const kibanaQuery = (retention: string) => ({
  index: 'security_solution-*.vulnerability_latest,logs-cloud_security_posture.vulnerabilities_latest-default',
  ignore_unavailable: true,
  size: 500,
  aggs: {
    count: {
      filters: {
        other_bucket_key: 'NONE',
        filters: { LOW: severityBucket('LOW'), MEDIUM: severityBucket('MEDIUM'), HIGH: severityBucket('HIGH'), CRITICAL: severityBucket('CRITICAL') },
      },
    },
  },
  query: { bool: { filter: [{ range: { '@timestamp': { gte: `now-${retention}`, lte: 'now' } } }] } },
  sort: [{ 'vulnerability.score.base': 'desc' }],
});

describe("Kibana's findings page query, end to end over an alias set up from a template", () => {
  const t = useServer();

  it('finds the latest findings through the alias, counts them by severity, sorts them by score and groups them by CVE and image', async () => {
    await t.client.indices.putIndexTemplate({
      name: 'latest',
      index_patterns: ['security_solution-qualys_cs.vulnerability_latest-*'],
      template: {
        mappings: {
          properties: {
            '@timestamp': { type: 'date' },
            vulnerability: { properties: { id: { type: 'keyword' }, severity: { type: 'keyword' }, score: { properties: { base: { type: 'float' } } } } },
            resource: { properties: { id: { type: 'keyword' } } },
          },
        },
        aliases: { [ALIAS]: { is_write_index: true } },
      },
    });
    await t.client.indices.create({ index: `${ALIAS}-1` });
    const now = Date.now();
    const finding = (id: string, severity: string, score: number | undefined, image: string, age: number) => [
      { index: { _index: ALIAS, _id: `${image}-${id}` } },
      {
        '@timestamp': new Date(now - age).toISOString(),
        vulnerability: { id, severity, ...(score ? { score: { base: score } } : {}) },
        resource: { id: image },
      },
    ];
    await t.client.bulk({
      refresh: true,
      operations: [
        ...finding('CVE-1', 'HIGH', 7.5, 'img-a', DAY),
        ...finding('CVE-1', 'HIGH', 7.5, 'img-b', DAY),
        ...finding('CVE-2', 'CRITICAL', 9.8, 'img-a', 2 * DAY),
        ...finding('CVE-3', 'low', 2, 'img-b', 10 * DAY),
        ...finding('QID-1', 'UNKNOWN', undefined, 'img-a', DAY),
        ...finding('CVE-4', 'MEDIUM', 5, 'img-c', 100 * DAY),
      ],
    });

    const page = await t.client.search(kibanaQuery('90d'));
    expect(page.hits.total).toEqual({ value: 5, relation: 'eq' });
    expect(page.hits.hits.map((h) => [h._index, h._id, h.sort])).toEqual([
      [`${ALIAS}-1`, 'img-a-CVE-2', [Math.fround(9.8)]],
      [`${ALIAS}-1`, 'img-a-CVE-1', [7.5]],
      [`${ALIAS}-1`, 'img-b-CVE-1', [7.5]],
      [`${ALIAS}-1`, 'img-b-CVE-3', [2]],
      [`${ALIAS}-1`, 'img-a-QID-1', ['-Infinity']],
    ]);
    expect(page.aggregations?.['count']).toEqual({
      buckets: { CRITICAL: { doc_count: 1 }, HIGH: { doc_count: 2 }, LOW: { doc_count: 1 }, MEDIUM: { doc_count: 0 }, NONE: { doc_count: 1 } },
    });
    expect((await t.client.search(kibanaQuery('3d'))).hits.total).toEqual({ value: 4, relation: 'eq' });

    const grouped = await t.client.search({
      index: ALIAS,
      size: 0,
      aggs: { cve: { terms: { field: 'vulnerability.id', size: 2 } }, images: { terms: { field: 'resource.id' } } },
    });
    expect(grouped.aggregations).toEqual({
      cve: {
        doc_count_error_upper_bound: 0,
        sum_other_doc_count: 3,
        buckets: [
          { key: 'CVE-1', doc_count: 2 },
          { key: 'CVE-2', doc_count: 1 },
        ],
      },
      images: {
        doc_count_error_upper_bound: 0,
        sum_other_doc_count: 0,
        buckets: [
          { key: 'img-a', doc_count: 3 },
          { key: 'img-b', doc_count: 2 },
          { key: 'img-c', doc_count: 1 },
        ],
      },
    });
  });
});
