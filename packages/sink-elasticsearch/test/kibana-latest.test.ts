import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from '@elastic/elasticsearch';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { normalizeImage, type ImageRecord } from '@qcs-export/core';
import { startElasticsearchTestServer, type EsTestServer } from '@qcs-export/elasticsearch-testserver';
import { makeRunContext } from '@qcs-export/sink-testkit';
import { elasticsearchSink } from '../src/index.js';

/*
 * Kibana's Security › Findings › Vulnerabilities page, as its source builds its query (elastic/kibana,
 * x-pack/solutions/security/packages/kbn-cloud-security-posture/common: constants.ts and
 * utils/findings_query_builders.ts, getVulnerabilitiesQuery and createGetVulnerabilityFindingsQuery): the index
 * pattern of third-party latest findings next to Elastic's own, an @timestamp range of 90 days (3 in older versions),
 * and the severity buckets by a case-insensitive term. Written out here, not imported, so the test holds what
 * Kibana sends. Runs against the Elasticsearch test server, and against a real node when ELASTICSEARCH_URL is set.
 */
const KIBANA_INDEX = 'security_solution-*.vulnerability_latest,logs-cloud_security_posture.vulnerabilities_latest-default';
const SEVERITIES = ['LOW', 'MEDIUM', 'HIGH', 'CRITICAL'] as const;
const severityBucket = (value: string) => ({ term: { 'vulnerability.severity': { value, case_insensitive: true } } });

function kibanaFindingsPageQuery(retention: '90d' | '3d') {
  return {
    index: KIBANA_INDEX,
    ignore_unavailable: true,
    size: 500,
    aggs: { count: { filters: { other_bucket_key: 'NONE', filters: Object.fromEntries(SEVERITIES.map((s) => [s, severityBucket(s)])) } } },
    query: { bool: { filter: [{ range: { '@timestamp': { gte: `now-${retention}`, lte: 'now' } } }] } },
    sort: [{ 'vulnerability.score.base': 'desc' }],
  };
}

/** The flyout's query for one finding: each field a term, and a field the finding lacks must be absent. */
function kibanaFindingQuery(doc: Record<string, unknown>) {
  const at = (path: string) => path.split('.').reduce<unknown>((v, k) => (v as Record<string, unknown> | undefined)?.[k], doc);
  const filter: unknown[] = [];
  const mustNot: unknown[] = [];
  for (const field of ['vulnerability.id', 'resource.id', 'package.name', 'package.version', 'event.id']) {
    const value = at(field);
    if (value === undefined) mustNot.push({ exists: { field } });
    else filter.push({ terms: { [field]: Array.isArray(value) ? value : [value] } });
  }
  return { index: KIBANA_INDEX, ignore_unavailable: true, query: { bool: { filter, must_not: mustNot } } };
}

const DAY = 86_400_000;
const ALIAS = 'security_solution-qualys_cs.vulnerability_latest';

/** Images with findings of every severity, packages with and without fixes, and one finding without a package. */
function images(count: number, now: Date, dropQid?: number): ImageRecord[] {
  return Array.from({ length: count }, (_, i) =>
    normalizeImage(
      {
        sha: i.toString(16).padStart(64, 'c'),
        repo: i === 0 ? [] : [{ registry: 'docker.io', repository: `team/app-${i}`, tag: 'v1' }],
        associatedContainersCount: i % 2,
        vulnerabilities: [1, 2, 3, 4, 5]
          .filter((severity) => 1000 + severity !== dropQid)
          .map((severity) => ({
            qid: 1000 + severity,
            severity,
            title: `Vulnerability of severity ${severity}`,
            cveids: severity === 1 ? [] : [`CVE-2025-${1000 + severity}`, `CVE-2025-${2000 + severity}`],
            cvss3Info: severity === 1 ? {} : { baseScore: String(severity * 2 - 0.5) },
            firstFound: String(now.getTime() - 40 * DAY),
            software:
              severity === 3
                ? []
                : [
                    { name: 'openssl', version: '3.0.1', fixVersion: '3.0.13' },
                    { name: 'zlib', version: '1.2.11', fixVersion: null },
                  ],
          })),
      },
      'images/details',
    ),
  );
}

/** Documents per image: severities 1, 2, 4, 5 with two packages each, severity 3 without any. */
const DOCS_PER_IMAGE = 4 * 2 + 1;

interface Target {
  name: string;
  node: string;
  auth?: { apiKey: string };
  client: () => Client;
  /** Removes what the test created, on a real node. */
  clean: () => Promise<void>;
}

let server: EsTestServer;
beforeAll(async () => {
  server = await startElasticsearchTestServer();
});
afterAll(async () => {
  await server.close();
});

const realUrl = process.env['ELASTICSEARCH_URL'];
const realKey = process.env['ELASTICSEARCH_API_KEY'];
const targets: Array<() => Target> = [
  () => ({ name: 'the Elasticsearch test server', node: server.url, client: () => new Client({ node: server.url }), clean: async () => undefined }),
  ...(realUrl
    ? [
        (): Target => {
          const auth = realKey ? { apiKey: realKey } : undefined;
          const client = () => new Client({ node: realUrl, ...(auth ? { auth } : {}) });
          return {
            name: `the real node at ${new URL(realUrl).origin}`,
            node: realUrl,
            ...(auth ? { auth } : {}),
            client,
            clean: async () => {
              const es = client();
              await es.indices.delete({ index: `${ALIAS}-v1`, ignore_unavailable: true }).catch(() => undefined);
              await es.indices.deleteIndexTemplate({ name: `qcs-export-${ALIAS}` }).catch(() => undefined);
              await es.close();
            },
          };
        },
      ]
    : []),
];

describe.each(targets.map((make) => [make]))("kibana: true lands findings where Kibana's findings page reads them (issue 19)", (make) => {
  let target: Target;
  beforeAll(async () => {
    target = make();
    await target.clean();
  });
  afterAll(async () => {
    await target.clean();
  });

  async function exportOnce(records: readonly ImageRecord[], startedAt: Date, runId: string) {
    const dir = await mkdtemp(join(tmpdir(), 'qcs-kibana-'));
    try {
      const options = elasticsearchSink.options.parse({ node: target.node, ...(target.auth ? { auth: target.auth } : {}), records: 'findings', kibana: true });
      const sink = elasticsearchSink.create(options, makeRunContext({ baseDir: dir, startedAt, runId, coverage: 'full' }));
      await sink.open();
      await sink.write(records);
      return await sink.close();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }

  it("Kibana's query returns every current finding, one per image × QID × package, with every field the page shows", async () => {
    const now = new Date(Date.now() - 60_000);
    const summary = await exportOnce(images(3, now), now, 'run-1');
    expect(summary).toMatchObject({ records: 3 * DOCS_PER_IMAGE, rejected: 0 });
    const es = target.client();
    try {
      // The alias Kibana's pattern matches, over the versioned index the export made.
      const aliases = await es.indices.getAlias({ name: ALIAS });
      expect(Object.keys(aliases)).toEqual([`${ALIAS}-v1`]);

      const page = await es.search<Record<string, unknown>>(kibanaFindingsPageQuery('90d') as never);
      const hits = page.hits.hits.map((h) => h._source as Record<string, unknown>);
      expect(hits).toHaveLength(3 * DOCS_PER_IMAGE);
      const buckets = (page.aggregations?.['count'] as { buckets?: Record<string, { doc_count: number }> } | undefined)?.buckets ?? {};
      // Severity 1 and 2 are both LOW; nothing falls outside the page's buckets.
      expect(Object.fromEntries(Object.entries(buckets).map(([k, v]) => [k, v.doc_count]))).toEqual({
        LOW: 3 * 4,
        MEDIUM: 3,
        HIGH: 3 * 2,
        CRITICAL: 3 * 2,
        NONE: 0,
      });
      // Sorted by score as the page asks, highest first.
      const scores = hits.map((h) => (h['vulnerability'] as { score?: { base: number } }).score?.base ?? -1);
      expect(scores.slice(0, 6)).toEqual([9.5, 9.5, 9.5, 9.5, 9.5, 9.5]);

      const critical = hits.find(
        (h) => (h['vulnerability'] as { severity: string }).severity === 'CRITICAL' && (h['package'] as { name: string }).name === 'openssl',
      );
      expect(critical).toMatchObject({
        '@timestamp': now.toISOString(),
        event: { id: expect.stringMatching(/^[0-9a-f]{64}$/) },
        observer: { vendor: 'Qualys' },
        vulnerability: {
          id: ['CVE-2025-1005', 'CVE-2025-2005'],
          title: 'Vulnerability of severity 5',
          description: 'Vulnerability of severity 5',
          severity: 'CRITICAL',
          score: { base: 9.5 },
        },
        resource: { id: expect.stringMatching(/^[0-9a-f]{64}$/), name: expect.any(String) },
        package: { name: 'openssl', version: '3.0.1', fixed_version: '3.0.13' },
      });
      // Every hit is found again by the flyout's query for it, and only it.
      for (const hit of hits.slice(0, 12)) {
        const one = await es.search<Record<string, unknown>>(kibanaFindingQuery(hit) as never);
        expect(one.hits.hits.map((h) => (h._source as { event: { id: string } }).event.id)).toEqual([(hit['event'] as { id: string }).id]);
      }
    } finally {
      await es.close();
    }
  });

  it('the next complete run leaves only what is open: fixed findings and images gone are removed, and @timestamp moves on', async () => {
    const now = new Date(Date.now() - 30_000);
    // Image 2 is gone, and QID 1004 (severity 4, two packages) is fixed on the others.
    await exportOnce(images(2, now, 1004), now, 'run-2');
    const es = target.client();
    try {
      await es.indices.refresh({ index: ALIAS });
      const page = await es.search<Record<string, unknown>>(kibanaFindingsPageQuery('3d') as never);
      const hits = page.hits.hits.map((h) => h._source as Record<string, unknown>);
      expect(hits).toHaveLength(2 * (DOCS_PER_IMAGE - 2));
      expect(new Set(hits.map((h) => h['@timestamp']))).toEqual(new Set([now.toISOString()]));
      expect(hits.filter((h) => (h['qualys_cs'] as { qid: number }).qid === 1004)).toEqual([]);
      expect((await es.count({ index: ALIAS })).count).toBe(2 * (DOCS_PER_IMAGE - 2));
    } finally {
      await es.close();
    }
  });
});

describe('kibana: true options (issue 19)', () => {
  const parse = (options: Record<string, unknown>) => elasticsearchSink.options.safeParse({ node: 'http://127.0.0.1:9200', ...options });

  it('defaults the index to the alias Kibana reads, and refuses what the page cannot read', () => {
    expect(parse({ records: 'findings', kibana: true }).data?.index).toBe(ALIAS);
    expect(parse({ records: 'packages', kibana: true, index: 'security_solution-team_a.vulnerability_latest' }).success).toBe(true);
    expect(parse({ records: 'findings', kibana: true, index: 'qualys-findings' }).error?.issues[0]?.message).toMatch(
      /security_solution-\*\.vulnerability_latest/,
    );
    expect(parse({ kibana: true }).error?.issues[0]?.message).toMatch(/records: findings, packages or container-findings/);
    expect(parse({ records: 'findings', kibana: true, dataStream: true }).error?.issues[0]?.message).toMatch(/a data stream keeps history/);
  });

  it('is refused in incremental runs, saying why, since unchanged findings would drop off the page', () => {
    const options = elasticsearchSink.options.parse({ node: 'http://127.0.0.1:9200', records: 'findings', kibana: true });
    expect(elasticsearchSink.incremental?.(options)).toMatchObject({ ok: false, option: 'kibana', reason: expect.stringMatching(/@timestamp/) });
  });

  it('names a findings data stream as Elastic does, and still requires an index for images', () => {
    expect(parse({ records: 'findings', dataStream: true }).data?.index).toBe('logs-qualys_cs.vulnerability-default');
    expect(parse({}).error?.issues[0]?.message).toBe('index is required');
  });
});
