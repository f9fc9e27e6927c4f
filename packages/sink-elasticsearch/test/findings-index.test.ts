import { createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { normalizeImage, type ImageRecord } from '@qcs-export/core';
import { startElasticsearchTestServer, type EsTestServer } from '@qcs-export/elasticsearch-testserver';
import { makeRunContext } from '@qcs-export/sink-testkit';
import { createElasticsearchSink, elasticsearchSink, type ElasticsearchSinkOptions } from '../src/index.js';

let server: EsTestServer;
beforeAll(async () => {
  server = await startElasticsearchTestServer();
});
afterAll(async () => {
  await server.close();
});

const STARTED = new Date('2026-11-22T10:30:00.000Z');
const DAY = 86_400_000;

/** Images in the details shape, with findings: some with two packages, one with none, SLAs met and breached. */
function images(count: number): ImageRecord[] {
  return Array.from({ length: count }, (_, i) =>
    normalizeImage(
      {
        sha: i.toString(16).padStart(64, 'a'),
        repo: [{ registry: 'docker.io', repository: `team/app-${i}`, tag: 'v1' }],
        associatedContainersCount: i % 2,
        vulnerabilities: [
          {
            qid: 100 + i,
            severity: 5,
            cveids: ['CVE-2024-0001'],
            firstFound: String(STARTED.getTime() - 45 * DAY),
            software: [
              { name: 'openssl', version: '3.0.1', fixVersion: '3.0.13' },
              { name: 'libssl3', version: '3.0.1', fixVersion: null },
            ],
          },
          { qid: 200 + i, severity: 2, firstFound: String(STARTED.getTime() - 10 * DAY), software: [], cvss3Info: { baseScore: '5.3' } },
        ],
      },
      'images/details',
    ),
  );
}

describe('elasticsearch findings index (issue 11)', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'qcs-es-findings-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  async function run(options: Record<string, unknown>, records: readonly ImageRecord[]) {
    const sink = createElasticsearchSink(
      elasticsearchSink.options.parse({ node: server.url, ...options }) as ElasticsearchSinkOptions,
      makeRunContext({ baseDir: dir, startedAt: STARTED }),
    );
    await sink.open();
    await sink.write(records);
    return sink.close();
  }

  it('one ECS document per image × QID, _id = sha256(sha, QID), with the SLA under qualys_cs', async () => {
    const summary = await run({ index: 'cs-findings', records: 'findings' }, images(20));
    expect(summary).toMatchObject({ records: 40, rejected: 0 });
    const docs = server.documents('cs-findings');
    expect(docs.size).toBe(40);
    const sha = '0'.padStart(64, 'a');
    const id = createHash('sha256').update(`${sha}\u0000100`).digest('hex');
    expect(docs.get(id)?._source).toMatchObject({
      '@timestamp': STARTED.toISOString(),
      event: { kind: 'state', category: ['vulnerability'], id },
      ecs: { version: expect.stringMatching(/^8\.\d+\.\d+$/) },
      // The CVE is what Kibana shows as the vulnerability; the reference is a URL, as ECS defines it.
      vulnerability: {
        id: ['CVE-2024-0001'],
        enumeration: 'CVE',
        reference: ['https://nvd.nist.gov/vuln/detail/CVE-2024-0001'],
        severity: 'CRITICAL',
        scanner: { vendor: 'Qualys' },
      },
      container: { image: { name: ['docker.io/team/app-0'], tag: ['v1'], hash: { all: [`sha256:${sha}`] } } },
      resource: { id: sha, name: 'docker.io/team/app-0:v1' },
      qualys_cs: {
        qid: 100,
        cve_ids: ['CVE-2024-0001'],
        severity_label: 'CRITICAL',
        sla_days: 30,
        sla_status: 'breached',
        days_overdue: 15,
        age_days: 45,
        fix_available: true,
        image_in_use: false,
        // Each package's version and fix stay with its name.
        packages: [
          { name: 'openssl', version: '3.0.1', fixed_version: '3.0.13' },
          { name: 'libssl3', version: '3.0.1', fixed_version: null },
        ],
      },
    });
    // Two packages: their names are searchable, but no parallel version arrays that cannot say which fix is whose.
    expect(docs.get(id)?._source['package']).toEqual({ name: ['openssl', 'libssl3'] });
    const low = docs.get(createHash('sha256').update(`${sha}\u0000200`).digest('hex'))?._source;
    expect(low).toMatchObject({
      vulnerability: { id: '200', enumeration: 'QID', severity: 'LOW', classification: 'CVSS', score: { base: 5.3 } },
      qualys_cs: { qid: 200, severity_label: 'LOW', sla_status: 'within', days_overdue: 0 },
    });
    // No CVSS vector comes with the score, so its version is unknown and not made up; no package, no empty package.
    expect((low?.['vulnerability'] as { score?: Record<string, unknown> } | undefined)?.score).not.toHaveProperty('version');
    expect(low).not.toHaveProperty('package');
  });

  it("Qualys severity 1 falls in Kibana's LOW bucket, and an image without repositories gets no empty container.image.name", async () => {
    const record = normalizeImage(
      {
        sha: 'f'.repeat(64),
        repo: [],
        vulnerabilities: [
          { qid: 7, severity: 1, firstFound: String(STARTED.getTime() - DAY), software: [{ name: 'zlib', version: '1.2', fixVersion: '1.3' }] },
        ],
      },
      'images/details',
    );
    await run({ index: 'cs-minimal', records: 'findings' }, [record]);
    const [doc] = [...server.documents('cs-minimal').values()].map((d) => d._source);
    expect(doc).toMatchObject({
      vulnerability: { id: '7', severity: 'LOW' },
      qualys_cs: { severity: 1, severity_label: 'INFO' },
      package: { name: 'zlib', version: '1.2', fixed_version: '1.3' },
      container: { image: { hash: { all: [`sha256:${'f'.repeat(64)}`] } } },
      resource: { name: 'f'.repeat(64) },
    });
    expect((doc?.['container'] as { image?: Record<string, unknown> } | undefined)?.image).not.toHaveProperty('name');
  });

  it('the packages grain gives one document per affected package, one for a finding without any', async () => {
    await run({ index: 'cs-packages', records: 'packages' }, images(5));
    const docs = [...server.documents('cs-packages').values()].map((d) => d._source as { package?: { name: string; version: string; fixed_version?: string } });
    expect(docs).toHaveLength(15);
    expect(docs.filter((d) => d.package?.name === 'openssl')).toHaveLength(5);
    // One package per document: scalars that belong together.
    expect(docs.find((d) => d.package?.name === 'libssl3')?.package).toEqual({ name: 'libssl3', version: '3.0.1' });
    expect(docs.filter((d) => d.package === undefined)).toHaveLength(5);
  });

  it("findings in a data stream take Elastic's name for it, and say which stream they belong to", async () => {
    const summary = await run({ records: 'findings', dataStream: true }, images(2));
    expect(summary).toMatchObject({ target: expect.stringMatching(/\/logs-qualys_cs\.vulnerability-default$/), records: 4, rejected: 0 });
    const docs = [...server.documents('logs-qualys_cs.vulnerability-default').values()].map((d) => d._source);
    expect(docs).toHaveLength(4);
    for (const doc of docs) {
      expect(doc).toMatchObject({
        data_stream: { type: 'logs', dataset: 'qualys_cs.vulnerability', namespace: 'default' },
        event: { dataset: 'qualys_cs.vulnerability' },
        '@timestamp': STARTED.toISOString(),
      });
    }
  });

  it('a re-run updates each finding in place instead of adding copies', async () => {
    await run({ index: 'cs-rerun', records: 'findings' }, images(10));
    await run({ index: 'cs-rerun', records: 'findings' }, images(10));
    expect(server.documents('cs-rerun').size).toBe(20);
  });

  it('the findings template maps the ECS fields explicitly (vulnerability.id keyword, SLA due a date)', async () => {
    await run({ index: 'cs-mapped', records: 'findings' }, images(1));
    const m = server.mappings('cs-mapped') as { properties: Record<string, { properties?: Record<string, { type?: string }> }> };
    expect(m.properties['vulnerability']?.properties?.['id']?.type).toBe('keyword');
    expect(m.properties['qualys_cs']?.properties?.['sla_due_at']?.type).toBe('date');
    expect(m.properties['resource']?.properties?.['id']?.type).toBe('keyword');
  });

  it('an existing images index is refused for findings: its mapping is the wrong one', async () => {
    await run({ index: 'cs-mixed' }, images(1));
    await expect(run({ index: 'cs-mixed', records: 'findings' }, images(1))).rejects.toThrow(
      /cs-mixed exists with another mapping \(vulnerability\.id is not mapped/,
    );
  });
});
