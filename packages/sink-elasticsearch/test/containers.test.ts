import { createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { normalizeContainer, normalizeImage, type ImageRecord, type RunContainer, type SoftwarePackage } from '@qcs-export/core';
import { startElasticsearchTestServer, type EsTestServer } from '@qcs-export/elasticsearch-testserver';
import { makeRunContext, makeTestPackage } from '@qcs-export/sink-testkit';
import { createElasticsearchSink, elasticsearchSink, type ElasticsearchSinkOptions } from '../src/index.js';

// Issue 21: the container grains (one document per container, or per container × finding of the image it runs) and
// the software grain (one per image × installed package), over loopback HTTP against the Elasticsearch test server.

let server: EsTestServer;
beforeAll(async () => {
  server = await startElasticsearchTestServer();
});
afterAll(async () => {
  await server.close();
});

const STARTED = new Date('2026-11-22T10:30:00.000Z');
const DAY = 86_400_000;
const IMAGE_SHA = 'a'.repeat(64);
const sha256 = (...parts: Array<string | number>) => createHash('sha256').update(parts.join('\u0000')).digest('hex');

/** The image the containers run: a critical finding with a package and a fix, and an exempted medium one. */
function image(at = STARTED, withFixed = true): ImageRecord {
  const record = normalizeImage(
    {
      sha: IMAGE_SHA,
      imageId: 'aaaaaaaaaaaa',
      repo: [{ registry: 'docker.io', repository: 'team/api', tag: '1.2' }],
      associatedContainersCount: 3,
      vulnerabilities: [
        {
          qid: 1001,
          severity: 5,
          title: 'OpenSSL',
          cveids: ['CVE-2025-1001'],
          cvss3Info: { baseScore: '9.8' },
          firstFound: String(at.getTime() - 45 * DAY),
          software: [{ name: 'openssl', version: '3.0.1', fixVersion: '3.0.9' }],
        },
        ...(withFixed ? [{ qid: 1002, severity: 3, title: 'zlib', firstFound: String(at.getTime() - 10 * DAY), isExempted: true }] : []),
      ],
    },
    'images/details',
  );
  const exempted = record.vulnerabilities?.[1];
  if (exempted) exempted.exception = { name: 'Accepted', reason: 'RISK_ACCEPTED', explanation: null, startsAt: null, endsAt: '2027-01-31T00:00:00.000Z' };
  return record;
}

const containerSha = (n: number) => n.toString(16).repeat(64).slice(0, 64);

/** Container n: in a Kubernetes pod (cluster from cluster.k8s, the rest from labels) unless `k8s` is false. */
function container(n: number, k8s = true): RunContainer['container'] {
  return normalizeContainer(
    {
      sha: containerSha(n),
      containerId: containerSha(n).slice(0, 12),
      name: `api-${n}`,
      state: 'RUNNING',
      stateChanged: String(STARTED.getTime() - DAY),
      imageSha: IMAGE_SHA,
      privileged: n === 2,
      host: { hostname: `node-${n}`, ipAddress: `10.0.0.${n}` },
      vulnerabilities: { severity1Count: 0, severity2Count: 0, severity3Count: 1, severity4Count: 0, severity5Count: 1 },
      ...(k8s
        ? {
            cluster: {
              name: 'prod-eu',
              k8s: { pod: { name: `api-${n}-pod`, namespace: 'payments', uuid: `uid-${n}`, controller: { type: 'ReplicaSet', name: 'api-7f' } } },
            },
            label: [{ key: 'io.kubernetes.container.name', value: 'api' }],
          }
        : { label: [{ key: 'team', value: 'payments' }] }),
    },
    'containers',
  );
}

/** Containers 1 and 2 in pods, running the image; 3 outside Kubernetes, its image not looked up (no findings). */
function containers(img: ImageRecord | null = image()): RunContainer[] {
  return [
    { container: container(1), image: img },
    { container: container(2), image: img },
    { container: container(3, false), image: null },
  ];
}

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'qcs-es-containers-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const parse = (options: Record<string, unknown>) => elasticsearchSink.options.parse({ node: server.url, ...options }) as ElasticsearchSinkOptions;

/** One run as the runner makes it: the images first (when given), then the containers. */
async function run(options: Record<string, unknown>, input: { images?: ImageRecord[]; containers?: RunContainer[] }, ctx: Record<string, unknown> = {}) {
  const sink = createElasticsearchSink(parse(options), makeRunContext({ baseDir: dir, startedAt: STARTED, ...ctx }), { backoffBaseMs: 5 });
  await sink.open();
  if (input.images) await sink.write(input.images);
  if (input.containers) await sink.writeContainers?.(input.containers);
  return sink.close();
}

type Mapping = { properties?: Record<string, Mapping>; type?: string };
const typeAt = (mapping: Mapping | undefined, path: string) => path.split('.').reduce<Mapping | undefined>((m, k) => m?.properties?.[k], mapping)?.type;

describe('records: containers (issue 21)', () => {
  it('one ECS document per container, _id = its sha, with container, orchestrator and host fields and the record under qualys_cs.container', async () => {
    const summary = await run({ index: 'cs-containers', records: 'containers' }, { containers: containers() }, { runId: 'run-1' });
    expect(summary).toMatchObject({ records: 3, rejected: 0, delivered: 3 });
    const docs = server.documents('cs-containers');
    expect([...docs.keys()].sort()).toEqual([containerSha(1), containerSha(2), containerSha(3)]);
    expect(docs.get(containerSha(1))?._source).toMatchObject({
      '@timestamp': STARTED.toISOString(),
      ecs: { version: expect.stringMatching(/^8\./) },
      event: { kind: 'state', module: 'qualys_cs', dataset: 'qualys_cs.container', id: containerSha(1) },
      observer: { vendor: 'Qualys' },
      container: {
        id: containerSha(1),
        name: 'api-1',
        // The image's repositories, from the image the run looked up.
        image: { name: ['docker.io/team/api'], tag: ['1.2'], hash: { all: [`sha256:${IMAGE_SHA}`] } },
      },
      orchestrator: {
        type: 'kubernetes',
        namespace: 'payments',
        cluster: { name: 'prod-eu' },
        resource: { type: 'pod', name: 'api-1-pod', id: 'uid-1' },
      },
      host: { hostname: 'node-1', ip: ['10.0.0.1'] },
      resource: { id: containerSha(1), name: 'api-1', type: 'container' },
      qualys_cs: {
        run_id: 'run-1',
        container: {
          sha: containerSha(1),
          state: 'RUNNING',
          stateChanged: new Date(STARTED.getTime() - DAY).toISOString(),
          privileged: false,
          imageRepositories: ['docker.io/team/api:1.2'],
          kubernetes: { controller: 'ReplicaSet/api-7f', containerName: 'api' },
          vulnerabilityCounts: { severity5Count: 1, total: 2 },
        },
      },
    });
    // Outside Kubernetes, its image not looked up: no orchestrator, an image known by its sha only.
    const outside = docs.get(containerSha(3))?._source as Record<string, unknown>;
    expect(outside).not.toHaveProperty('orchestrator');
    expect(outside['container']).toEqual({ id: containerSha(3), name: 'api-3', image: { hash: { all: [`sha256:${IMAGE_SHA}`] } } });
    expect((outside['qualys_cs'] as { container: { labels: unknown } }).container.labels).toEqual([{ key: 'team', value: 'payments' }]);
  });

  it("the template maps the container's ECS fields and its record explicitly, dynamic: false", async () => {
    await run({ index: 'cs-containers-mapped', records: 'containers' }, { containers: containers() });
    expect(server.templates.get('qcs-export-cs-containers-mapped')).toMatchObject({
      template: { mappings: { dynamic: false } },
      _meta: { records: 'containers' },
    });
    const mappings = server.mappings('cs-containers-mapped') as Mapping;
    expect(
      Object.fromEntries(
        [
          'container.id',
          'container.image.hash.all',
          'orchestrator.namespace',
          'orchestrator.resource.name',
          'orchestrator.cluster.name',
          'host.ip',
          'qualys_cs.run_id',
          'qualys_cs.container.stateChanged',
          'qualys_cs.container.privileged',
          'qualys_cs.container.kubernetes.controller',
          'qualys_cs.container.vulnerabilityCounts.total',
        ].map((p) => [p, typeAt(mappings, p)]),
      ),
    ).toEqual({
      'container.id': 'keyword',
      'container.image.hash.all': 'keyword',
      'orchestrator.namespace': 'keyword',
      'orchestrator.resource.name': 'keyword',
      'orchestrator.cluster.name': 'keyword',
      'host.ip': 'ip',
      'qualys_cs.run_id': 'keyword',
      'qualys_cs.container.stateChanged': 'date',
      'qualys_cs.container.privileged': 'boolean',
      'qualys_cs.container.kubernetes.controller': 'keyword',
      'qualys_cs.container.vulnerabilityCounts.total': 'integer',
    });
  });

  it('refuses an existing index made for image documents, naming the fields it maps otherwise', async () => {
    await run({ index: 'cs-made-for-images' }, { images: [image()] });
    const failure = await run({ index: 'cs-made-for-images', records: 'containers' }, { containers: containers() }).catch((e: Error) => e);
    expect((failure as Error).message).toMatch(/cs-made-for-images exists with another mapping \(container\.id is not mapped \(want keyword\)/);
  });

  it('with removeUnseen, a complete full run removes the containers it did not see; an incremental one leaves them', async () => {
    const options = { index: 'cs-containers-unseen', records: 'containers', removeUnseen: true };
    await run(options, { containers: containers() }, { runId: 'run-1', coverage: 'full' });
    const partial = await run(options, { containers: containers().slice(0, 1) }, { runId: 'run-2', coverage: 'changes' });
    expect(partial.details).toMatchObject({ unseenRemoved: 0 });
    expect(server.documents('cs-containers-unseen').size).toBe(3);
    const full = await run(options, { containers: containers().slice(0, 2) }, { runId: 'run-3', coverage: 'full' });
    expect(full).toMatchObject({ records: 2, delivered: 2, details: { unseenRemoved: 1 } });
    expect([...server.documents('cs-containers-unseen').keys()].sort()).toEqual([containerSha(1), containerSha(2)]);
  });

  it('takes nothing from the images of a run that reads both, and an image sink nothing from its containers', async () => {
    const summary = await run({ index: 'cs-containers-both', records: 'containers' }, { images: [image()], containers: containers() });
    expect(summary).toMatchObject({ records: 3, delivered: 3 });
    const images = await run({ index: 'cs-images-both' }, { images: [image()], containers: containers() });
    expect(images).toMatchObject({ records: 1, delivered: 1 });
    expect([...server.documents('cs-images-both').keys()]).toEqual([IMAGE_SHA]);
    const findings = await run({ index: 'cs-findings-both', records: 'findings' }, { images: [image()], containers: containers() });
    expect(findings).toMatchObject({ records: 2, delivered: 2 });
  });

  it('appends to a data stream named as Elastic names them, by default logs-qualys_cs.container-default', async () => {
    const summary = await run({ records: 'containers', dataStream: true }, { containers: containers() }, { runId: 'run-1' });
    expect(summary).toMatchObject({ records: 3, details: { appended: 3 } });
    const docs = [...server.documents('logs-qualys_cs.container-default').values()].map((d) => d._source as Record<string, unknown>);
    expect(docs[0]).toMatchObject({
      data_stream: { type: 'logs', dataset: 'qualys_cs.container', namespace: 'default' },
      event: { dataset: 'qualys_cs.container' },
    });
  });
});

describe('records: container-findings (issue 21)', () => {
  it('one document per container × finding of the image it runs, the container as the resource, SLA and exemption as the finding has them', async () => {
    const summary = await run({ index: 'cs-container-findings', records: 'container-findings' }, { containers: containers() }, { runId: 'run-1' });
    // Two findings in each of two containers; the third container's image was not looked up.
    expect(summary).toMatchObject({ records: 4, rejected: 0, delivered: 4 });
    const docs = server.documents('cs-container-findings');
    expect([...docs.keys()].sort()).toEqual(
      [sha256(containerSha(1), 1001), sha256(containerSha(1), 1002), sha256(containerSha(2), 1001), sha256(containerSha(2), 1002)].sort(),
    );
    const critical = docs.get(sha256(containerSha(2), 1001))?._source;
    expect(critical).toMatchObject({
      '@timestamp': STARTED.toISOString(),
      event: { kind: 'state', category: ['vulnerability'], dataset: 'qualys_cs.container_vulnerability', id: sha256(containerSha(2), 1001) },
      observer: { vendor: 'Qualys' },
      vulnerability: { id: ['CVE-2025-1001'], enumeration: 'CVE', severity: 'CRITICAL', score: { base: 9.8 } },
      package: { name: 'openssl', version: '3.0.1', fixed_version: '3.0.9' },
      resource: { id: containerSha(2), name: 'api-2', type: 'container' },
      container: { id: containerSha(2), name: 'api-2', image: { name: ['docker.io/team/api'], hash: { all: [`sha256:${IMAGE_SHA}`] } } },
      orchestrator: { type: 'kubernetes', namespace: 'payments', cluster: { name: 'prod-eu' }, resource: { type: 'pod', name: 'api-2-pod' } },
      host: { hostname: 'node-2', ip: ['10.0.0.2'] },
      qualys_cs: {
        run_id: 'run-1',
        finding_key: sha256(containerSha(2), 1001),
        qid: 1001,
        severity_label: 'CRITICAL',
        age_days: 45,
        sla_days: 30,
        sla_status: 'breached',
        days_overdue: 15,
        exempted: null,
        image_id: 'aaaaaaaaaaaa',
        repositories: ['docker.io/team/api:1.2'],
        container: {
          sha: containerSha(2),
          containerId: containerSha(2).slice(0, 12),
          name: 'api-2',
          state: 'RUNNING',
          privileged: true,
          imageSha: IMAGE_SHA,
          kubernetes: { cluster: 'prod-eu', namespace: 'payments', pod: 'api-2-pod', controller: 'ReplicaSet/api-7f', containerName: 'api' },
          host: { hostname: 'node-2', ipAddress: '10.0.0.2' },
        },
      },
    });
    // Container findings are not compared with a previous run: no change field.
    expect(critical?.['qualys_cs']).not.toHaveProperty('change');
    expect(docs.get(sha256(containerSha(1), 1002))?._source).toMatchObject({
      qualys_cs: { exempted: true, sla_status: 'exempted', exception: { name: 'Accepted', reason: 'RISK_ACCEPTED', end: '2027-01-31T00:00:00.000Z' } },
    });
    const mappings = server.mappings('cs-container-findings') as Mapping;
    expect(
      ['resource.id', 'container.id', 'orchestrator.namespace', 'qualys_cs.sla_due_at', 'qualys_cs.container.stateChanged'].map((p) => typeAt(mappings, p)),
    ).toEqual(['keyword', 'keyword', 'keyword', 'date', 'date']);
  });

  it("a container whose image lost a finding loses that finding's document in the next run; the others keep theirs", async () => {
    const options = { index: 'cs-container-findings-stale', records: 'container-findings' };
    await run(options, { containers: containers() }, { runId: 'run-1' });
    expect(server.documents('cs-container-findings-stale').size).toBe(4);
    const next = await run(options, { containers: [{ container: container(1), image: image(STARTED, false) }] }, { runId: 'run-2' });
    expect(next).toMatchObject({ records: 1, details: { fixedFindingsRemoved: 1 } });
    expect([...server.documents('cs-container-findings-stale').keys()].sort()).toEqual(
      [sha256(containerSha(1), 1001), sha256(containerSha(2), 1001), sha256(containerSha(2), 1002)].sort(),
    );
  });

  it('is not compared with a previous run, and needs the findings of the images the containers run', () => {
    const options = parse({ index: 'x', records: 'container-findings' });
    expect(elasticsearchSink.takesFixedFindings?.(options)).toBe(false);
    expect(elasticsearchSink.needsFindings?.(options)).toEqual({ option: 'records', setting: 'records: container-findings' });
    expect(elasticsearchSink.grains?.(options)).toEqual(['container-findings']);
    expect(elasticsearchSink.needsFindings?.(parse({ index: 'x', records: 'containers' }))).toBe(false);
    expect(elasticsearchSink.needsFindings?.(parse({ index: 'x', records: 'software' }))).toBe(false);
    expect(elasticsearchSink.takesFixedFindings?.(parse({ index: 'x', records: 'findings' }))).toBe(true);
    expect(elasticsearchSink.grains?.(parse({ index: 'x' }))).toEqual(['images']);
  });
});

describe('kibana: true with records: container-findings (issue 21)', () => {
  const KIBANA_INDEX = 'security_solution-*.vulnerability_latest,logs-cloud_security_posture.vulnerabilities_latest-default';
  const ALIAS = 'security_solution-qualys_cs_containers.vulnerability_latest';

  it("lands container findings where Kibana's findings page reads them, each container as the resource, and the next run drops a container gone", async () => {
    const now = new Date(Date.now() - 60_000);
    const options = { records: 'container-findings', kibana: true };
    const first = await run(options, { containers: containers(image(now)) }, { runId: 'run-1', coverage: 'full', startedAt: now });
    expect(first).toMatchObject({ target: expect.stringContaining(ALIAS), records: 4, delivered: 4 });
    const search = (body: Record<string, unknown>) =>
      fetch(`${server.url}/${KIBANA_INDEX}/_search?ignore_unavailable=true`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      }).then((r) => r.json() as Promise<{ hits: { hits: Array<{ _source: Record<string, { id?: string; name?: string } | string> }> } }>);
    const page = { size: 100, query: { bool: { filter: [{ range: { '@timestamp': { gte: 'now-90d', lte: 'now' } } }] } } };
    const hits = (await search(page)).hits.hits.map((h) => h._source);
    expect(hits).toHaveLength(4);
    expect(new Set(hits.map((h) => (h['resource'] as { id: string }).id))).toEqual(new Set([containerSha(1), containerSha(2)]));
    expect(new Set(hits.map((h) => (h['resource'] as { name: string }).name))).toEqual(new Set(['api-1', 'api-2']));

    const later = new Date(now.getTime() + 1000);
    const second = await run(
      options,
      { containers: [{ container: container(1), image: image(later) }] },
      { runId: 'run-2', coverage: 'full', startedAt: later },
    );
    expect(second).toMatchObject({ records: 2, details: { unseenRemoved: 2 } });
    const left = (await search(page)).hits.hits.map((h) => h._source);
    expect(left.map((h) => (h['resource'] as { id: string }).id)).toEqual([containerSha(1), containerSha(1)]);
  });

  it('refuses kibana: true for grains without vulnerabilities, saying which grains it takes', () => {
    for (const records of ['images', 'containers', 'software']) {
      const result = elasticsearchSink.options.safeParse({ node: server.url, records, kibana: true });
      expect(result.error?.issues[0]?.message).toMatch(
        new RegExp(`kibana: true needs records: findings, packages or container-findings.*records: ${records} writes none`),
      );
    }
    expect(parse({ records: 'container-findings', kibana: true }).index).toBe(ALIAS);
    expect(parse({ records: 'findings', kibana: true }).index).toBe('security_solution-qualys_cs.vulnerability_latest');
  });
});

/** Two installed packages: openssl past its end of life, zlib in support. */
function softwareImage(packages = 2): ImageRecord {
  const pkg = (name: string, version: string, over: Partial<SoftwarePackage>) => makeTestPackage(name, { version, ...over });
  const software = [
    pkg('openssl', '1.0.2', {
      lifecycleStage: 'EOL',
      endOfLife: '2019-12-31T00:00:00.000Z',
      fixVersion: '3.0.9',
      vulnerabilityCounts: { severity1Count: 0, severity2Count: 0, severity3Count: 1, severity4Count: 2, severity5Count: 1, total: 4 },
    }),
    pkg('zlib', '1.3', { packagePath: '/usr/lib/libz.so.1' }),
  ].slice(0, packages);
  return { ...image(), software };
}

describe('records: software (issue 21)', () => {
  it('one ECS document per image × installed package, _id = the software key, package.*, the image as finding documents carry it', async () => {
    const summary = await run({ index: 'cs-software', records: 'software' }, { images: [softwareImage()] }, { runId: 'run-1' });
    expect(summary).toMatchObject({ records: 2, rejected: 0, delivered: 2 });
    const docs = [...server.documents('cs-software').values()];
    expect(docs).toHaveLength(2);
    const openssl = docs.find((d) => (d._source['package'] as { name: string }).name === 'openssl');
    expect(openssl?._source).toMatchObject({
      '@timestamp': STARTED.toISOString(),
      event: { kind: 'state', category: ['package'], dataset: 'qualys_cs.software', id: openssl?._id },
      package: { name: 'openssl', version: '1.0.2', fixed_version: '3.0.9' },
      container: { image: { name: ['docker.io/team/api'], tag: ['1.2'], hash: { all: [`sha256:${IMAGE_SHA}`] } } },
      resource: { id: IMAGE_SHA, name: 'docker.io/team/api:1.2', type: 'container_image' },
      qualys_cs: {
        run_id: 'run-1',
        software_key: openssl?._id,
        image_id: 'aaaaaaaaaaaa',
        image_in_use: true,
        repositories: ['docker.io/team/api:1.2'],
        software: {
          lifecycleStage: 'EOL',
          endOfLife: '2019-12-31T00:00:00.000Z',
          pastEndOfLife: true,
          pastEndOfSupport: null,
          vulnerabilityCounts: { total: 4 },
        },
      },
    });
    expect(docs.find((d) => (d._source['package'] as { name: string }).name === 'zlib')?._source).toMatchObject({
      package: { name: 'zlib', version: '1.3', path: '/usr/lib/libz.so.1' },
      qualys_cs: { software: { pastEndOfLife: false } },
    });
    const mappings = server.mappings('cs-software') as Mapping;
    expect(
      ['package.name', 'package.path', 'qualys_cs.software.endOfLife', 'qualys_cs.software.pastEndOfLife', 'qualys_cs.software_key'].map((p) =>
        typeAt(mappings, p),
      ),
    ).toEqual(['keyword', 'keyword', 'date', 'boolean', 'keyword']);
  });

  it('removes the packages an image no longer has when it is read again, and nothing for an image whose packages were not listed', async () => {
    const options = { index: 'cs-software-stale', records: 'software' };
    await run(options, { images: [softwareImage()] }, { runId: 'run-1' });
    const unlisted = await run(options, { images: [{ ...image(), software: null }] }, { runId: 'run-2' });
    expect(unlisted).toMatchObject({ records: 0, delivered: 0 });
    expect(server.documents('cs-software-stale').size).toBe(2);
    const next = await run(options, { images: [softwareImage(1)] }, { runId: 'run-3' });
    expect(next).toMatchObject({ records: 1, details: { packagesRemoved: 1 } });
    expect([...server.documents('cs-software-stale').values()].map((d) => (d._source['package'] as { name: string }).name)).toEqual(['openssl']);
  });

  it('defaults its data stream to logs-qualys_cs.software-default, and still requires an index for images', () => {
    expect(parse({ records: 'software', dataStream: true }).index).toBe('logs-qualys_cs.software-default');
    expect(parse({ records: 'container-findings', dataStream: true }).index).toBe('logs-qualys_cs.container_vulnerability-default');
    expect(elasticsearchSink.options.safeParse({ node: server.url, dataStream: true }).error?.issues[0]?.message).toBe('index is required');
    expect(elasticsearchSink.options.safeParse({ node: server.url, records: 'containers' }).error?.issues[0]?.message).toBe('index is required');
  });
});
