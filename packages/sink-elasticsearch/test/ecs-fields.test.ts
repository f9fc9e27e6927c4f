import { describe, expect, it } from 'vitest';
import { normalizeImage } from '@qcs-export/core';
import { type FindingRecord, rowsOf } from '@qcs-export/core/sink';
import { makeRunContext } from '@qcs-export/sink-testkit';
import { dataStreamNameOf, ecsFinding } from '../src/ecs-finding.js';
import { ECS_FINDING_FIELDS } from '../src/ecs-fields.js';
import { FINDING_PROPERTIES } from '../src/finding-mapping.js';

/** Every leaf path of a mapping's properties; an object that is not indexed (`enabled: false`) is one leaf. */
function mappedPaths(properties: Record<string, unknown>, prefix = ''): string[] {
  return Object.entries(properties).flatMap(([key, value]) => {
    const node = value as { properties?: Record<string, unknown> };
    return node.properties ? mappedPaths(node.properties, `${prefix}${key}.`) : [`${prefix}${key}`];
  });
}

/** Every leaf path a document holds; arrays of objects give their fields' paths, `qualys_cs.extra` is one leaf. */
function documentPaths(value: unknown, prefix = ''): string[] {
  // JSON leaves undefined out: such a key is not in the document Elasticsearch receives.
  if (value === undefined) return [];
  if (Array.isArray(value)) return value.flatMap((v) => documentPaths(v, prefix));
  if (value !== null && typeof value === 'object' && prefix !== 'qualys_cs.extra') {
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
