import { describe, expect, it } from 'vitest';
import { normalizeContainer, normalizeImage } from '@qcs-export/core';
import { type ContainerFindingRecord, containerRowsOf, type FindingRecord, rowsOf, type SoftwareRecord } from '@qcs-export/core/sink';
import { makeRunContext } from '@qcs-export/sink-testkit';
import { CONTAINER_FINDING_PROPERTIES, CONTAINER_PROPERTIES } from '../src/container-mapping.js';
import { ecsContainer, ecsContainerFinding } from '../src/ecs-container.js';
import { dataStreamNameOf, ecsFinding } from '../src/ecs-finding.js';
import {
  ECS_CONTAINER_FIELDS,
  ECS_CONTAINER_FINDING_FIELDS,
  ECS_FINDING_FIELDS,
  ECS_SOFTWARE_FIELDS,
  ecsContainerFieldsTable,
  ecsFieldsTable,
  ecsSoftwareFieldsTable,
  type EcsFieldDoc,
} from '../src/ecs-fields.js';
import { ecsSoftware } from '../src/ecs-software.js';
import { FINDING_PROPERTIES } from '../src/finding-mapping.js';
import { elasticsearchSink } from '../src/index.js';
import { SOFTWARE_PROPERTIES } from '../src/software-mapping.js';

/** Every leaf path of a mapping's properties; an object that is not indexed (`enabled: false`) is one leaf. */
function mappedPaths(properties: Record<string, unknown>, prefix = ''): string[] {
  return Object.entries(properties).flatMap(([key, value]) => {
    const node = value as { properties?: Record<string, unknown> };
    return node.properties ? mappedPaths(node.properties, `${prefix}${key}.`) : [`${prefix}${key}`];
  });
}

/** Every leaf path a document holds; arrays of objects give their fields' paths, an `extra` is one leaf. */
function documentPaths(value: unknown, prefix = ''): string[] {
  // JSON leaves undefined out: such a key is not in the document Elasticsearch receives.
  if (value === undefined) return [];
  if (Array.isArray(value)) return value.flatMap((v) => documentPaths(v, prefix));
  if (value !== null && typeof value === 'object' && !prefix.endsWith('.extra')) {
    return Object.entries(value as Record<string, unknown>).flatMap(([k, v]) => documentPaths(v, prefix === '' ? k : `${prefix}.${k}`));
  }
  return [prefix];
}

const STARTED = new Date('2026-11-22T10:30:00.000Z');
const image = normalizeImage(
  {
    sha: 'b'.repeat(64),
    repo: [{ registry: 'docker.io', repository: 'team/app', tag: 'v1' }],
    associatedContainersCount: 2,
    vulnerabilities: [
      {
        qid: 1,
        severity: 4,
        title: 'OpenSSL',
        category: 'Ubuntu',
        cveids: ['CVE-2024-1'],
        cvss3Info: { baseScore: '7.5' },
        published: String(STARTED.getTime() - 90 * 86_400_000),
        firstFound: String(STARTED.getTime() - 86_400_000),
        software: [
          { name: 'openssl', version: '3.0.1', fixVersion: '3.0.13' },
          { name: 'libssl3', version: '3.0.1', fixVersion: null },
        ],
      },
      { qid: 2, severity: 3, title: 'zlib', isExempted: true, firstFound: String(STARTED.getTime() - 86_400_000) },
    ],
  },
  'images/details',
);
// What enrichment attaches to an exempted finding from GET …/exceptions.
const exempted = image.vulnerabilities?.[1];
if (exempted) exempted.exception = { name: 'Accepted', reason: 'RISK_ACCEPTED', explanation: null, startsAt: null, endsAt: '2027-01-31T00:00:00.000Z' };
const ctx = makeRunContext({ baseDir: '/tmp', startedAt: STARTED });
const documents = (['findings', 'packages'] as const).flatMap((grain) =>
  (rowsOf([image], grain, ctx) as FindingRecord[]).map((row) =>
    ecsFinding(row, STARTED.toISOString(), 'run-1', dataStreamNameOf('logs-qualys_cs.vulnerability-default')),
  ),
);

describe("the README's table of finding fields is the code's (issue 19)", () => {
  const documented = ECS_FINDING_FIELDS.map((f) => f.field);
  const mapped = mappedPaths(FINDING_PROPERTIES);

  it('documents every mapped field once, and maps every documented one', () => {
    expect(new Set(documented).size).toBe(documented.length);
    expect([...documented].sort()).toEqual([...mapped].sort());
  });

  it('documents every field a finding document holds, at both grains and in a data stream', () => {
    const written = new Set(documents.flatMap((d) => documentPaths(d)));
    expect([...written].filter((path) => !documented.includes(path))).toEqual([]);
    // The sample reaches the fields that only some findings have.
    const rare = ['data_stream.namespace', 'vulnerability.category', 'vulnerability.score.base', 'qualys_cs.packages.fixed_version', 'package.version'];
    for (const path of [...rare, 'qualys_cs.exception.reason', 'qualys_cs.exception.end']) {
      expect(written).toContain(path);
    }
  });

  it('names a data stream by its Elastic-style parts, and nothing else', () => {
    expect(dataStreamNameOf('logs-qualys_cs.vulnerability-prod')).toEqual({ type: 'logs', dataset: 'qualys_cs.vulnerability', namespace: 'prod' });
    expect(dataStreamNameOf('qualys-findings')).toBeUndefined();
  });
});

/** Whether a table documents a path: by name, or by a `prefix.*` row above it. */
const documents_ = (table: readonly EcsFieldDoc[], path: string) =>
  table.some((f) => f.field === path || (f.field.endsWith('.*') && path.startsWith(f.field.slice(0, -1))));

/** The documented rows no mapped path answers to (a `prefix.*` row answers to any path under it). */
const unmappedRows = (table: readonly EcsFieldDoc[], mapped: readonly string[]) =>
  table.filter((f) => (f.field.endsWith('.*') ? !mapped.some((p) => p.startsWith(f.field.slice(0, -1))) : !mapped.includes(f.field))).map((f) => f.field);

const container = normalizeContainer(
  {
    sha: 'c'.repeat(64),
    containerId: 'c'.repeat(12),
    name: 'api',
    state: 'RUNNING',
    stateChanged: String(STARTED.getTime() - 86_400_000),
    imageSha: image.sha,
    privileged: false,
    host: { hostname: 'node-1', ipAddress: '10.0.0.1', sensorUuid: 's-1' },
    vulnerabilities: { severity1Count: 0, severity2Count: 0, severity3Count: 1, severity4Count: 1, severity5Count: 0 },
    cluster: { name: 'prod', k8s: { pod: { name: 'api-pod', namespace: 'payments', uuid: 'uid-1', controller: 'ReplicaSet/api' } } },
    label: [{ key: 'io.kubernetes.container.name', value: 'api' }],
    somethingNew: { kept: true },
  },
  'containers',
);
const containerRows = containerRowsOf([{ container, image }], 'containers', ctx);
const containerDocuments = containerRows.map((row) =>
  ecsContainer(row as typeof container, STARTED.toISOString(), 'run-1', dataStreamNameOf('logs-qualys_cs.container-default')),
);
const containerFindingDocuments = (containerRowsOf([{ container, image }], 'container-findings', ctx) as ContainerFindingRecord[]).map((row) =>
  ecsContainerFinding(row, STARTED.toISOString(), 'run-1', dataStreamNameOf('logs-qualys_cs.container_vulnerability-default')),
);
const softwareImage = {
  ...image,
  software: [
    {
      name: 'openssl',
      version: '1.0.2',
      fixVersion: '3.0.9',
      packagePath: '/usr/lib',
      scanType: 'STATIC',
      lifecycleStage: 'EOL',
      lifecycleConfidence: 'HIGH',
      endOfLife: '2019-12-31T00:00:00.000Z',
      endOfSupport: '2019-12-31T00:00:00.000Z',
      generalAvailability: '2015-01-01T00:00:00.000Z',
      vulnerabilityCounts: { severity1Count: 0, severity2Count: 0, severity3Count: 1, severity4Count: 0, severity5Count: 0, total: 1 },
      extra: { somethingNew: 1 },
    },
  ],
};
const softwareDocuments = (rowsOf([softwareImage], 'software', ctx) as SoftwareRecord[]).map((row) =>
  ecsSoftware(row, STARTED.toISOString(), 'run-1', dataStreamNameOf('logs-qualys_cs.software-default')),
);

// The container findings' table is the findings' with their own rows; the sample need reach only those (the findings'
// rows are held to their sample above).
describe.each([
  [
    'container finding',
    [...ECS_FINDING_FIELDS, ...ECS_CONTAINER_FINDING_FIELDS],
    ECS_CONTAINER_FINDING_FIELDS,
    CONTAINER_FINDING_PROPERTIES,
    containerFindingDocuments,
  ],
  ['container', ECS_CONTAINER_FIELDS, ECS_CONTAINER_FIELDS, CONTAINER_PROPERTIES, containerDocuments],
  ['software', ECS_SOFTWARE_FIELDS, ECS_SOFTWARE_FIELDS, SOFTWARE_PROPERTIES, softwareDocuments],
] as const)("the README's table of %s fields is the code's (issue 21)", (_name, table, own, properties, written) => {
  const mapped = mappedPaths(properties as Record<string, unknown>);

  it('documents every mapped field once, and maps every documented one', () => {
    const fields = table.map((f) => f.field);
    expect(new Set(fields).size).toBe(fields.length);
    expect(mapped.filter((path) => !documents_(table, path))).toEqual([]);
    expect(unmappedRows(table, mapped)).toEqual([]);
  });

  it('documents every field a document holds, and the sample reaches every documented one', () => {
    expect(written.length).toBeGreaterThan(0);
    const paths = new Set(written.flatMap((d) => documentPaths(d)));
    expect([...paths].filter((path) => !documents_(table, path))).toEqual([]);
    // Every documented field has a value in the sample, so the table cannot list a field nothing writes.
    expect(unmappedRows(own, [...paths])).toEqual([]);
  });
});

describe('the plugin documents every document it writes', () => {
  it('has a README table for finding, container and software documents', () => {
    expect(elasticsearchSink.readmeTables).toEqual({
      'ecs-findings': ecsFieldsTable(),
      'ecs-containers': ecsContainerFieldsTable(),
      'ecs-software': ecsSoftwareFieldsTable(),
    });
    expect(ecsFieldsTable()).toContain('| `orchestrator.namespace` | Container findings: ');
  });
});
