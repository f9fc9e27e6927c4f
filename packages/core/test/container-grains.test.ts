import { describe, expect, it } from 'vitest';
import {
  buildColumnsFor,
  containerRowsOf,
  findingsDemandOf,
  grainReads,
  normalizeContainer,
  normalizeImage,
  RECORD_GRAINS,
  rowsOf,
  shapeOf,
  takesFixedFindingsAt,
  type ImageRecord,
  type RunContainer,
} from '../src/index.js';

// Issue 21, point 3: the container grains, made from the containers a run reads with the findings of the image each
// runs; and point 4: the software grain, one row per image × installed package.
const IMAGE_SHA = 'a'.repeat(64);
const startedAt = new Date('2026-12-01T00:00:00Z');

function image(): ImageRecord {
  const record = normalizeImage(
    {
      sha: IMAGE_SHA,
      imageId: 'aaaaaaaaaaaa',
      repo: [{ registry: 'docker.io', repository: 'team/api', tag: '1.2' }],
      vulnerabilities: [
        { qid: 1001, severity: 5, title: 'OpenSSL', firstFound: '1761955200000', software: [{ name: 'openssl', version: '3.0.1', fixVersion: '3.0.9' }] },
        { qid: 1002, severity: 3, title: 'zlib', firstFound: '1764547200000', isExempted: true },
      ],
    },
    'images/details',
  );
  return record;
}

function container(n: number, namespace: string | null): RunContainer['container'] {
  return normalizeContainer(
    {
      sha: String(n).repeat(64).slice(0, 64),
      containerId: String(n).repeat(12).slice(0, 12),
      name: `api-${n}`,
      state: 'RUNNING',
      imageSha: IMAGE_SHA,
      host: { hostname: `node-${n}`, ipAddress: '10.0.0.1' },
      label:
        namespace === null
          ? []
          : [
              { key: 'io.kubernetes.pod.namespace', value: namespace },
              { key: 'io.kubernetes.pod.name', value: `api-${n}-pod` },
            ],
    },
    'containers',
  );
}

describe('container grains', () => {
  it('each grain names the list it is made from, and whether it needs findings', () => {
    expect(RECORD_GRAINS.map((g) => [g, grainReads(g)])).toEqual([
      ['images', 'images'],
      ['findings', 'images'],
      ['packages', 'images'],
      ['software', 'images'],
      ['containers', 'containers'],
      ['container-findings', 'containers'],
    ]);
    expect(findingsDemandOf('container-findings')).toEqual({ option: 'records', setting: 'records: container-findings' });
    expect(findingsDemandOf(['containers', 'software'])).toBe(false);
    expect(takesFixedFindingsAt('container-findings')).toBe(false);
    expect(takesFixedFindingsAt('findings')).toBe(true);
  });

  it('a container row carries the repositories of the image it runs when the run looked it up', () => {
    const img = image();
    const rows = containerRowsOf(
      [
        { container: container(1, 'payments'), image: img },
        { container: container(2, null), image: null },
      ],
      'containers',
      { startedAt },
    );
    expect(rows.map((r) => ('imageRepositories' in r ? r.imageRepositories : null))).toEqual([['docker.io/team/api:1.2'], []]);
  });

  it('container-findings: one row per container × finding of its image, with the finding SLA, exemption and the pod it runs in', () => {
    const img = image();
    const rows = containerRowsOf(
      [
        { container: container(1, 'payments'), image: img },
        { container: container(2, 'checkout'), image: img },
        { container: container(3, 'web'), image: null },
      ],
      'container-findings',
      { startedAt },
    );
    expect(rows.map((r) => 'qid' in r && [r.containerName, r.namespace, r.pod, r.qid, r.severityLabel, r.slaStatus, r.exempted, r.repositories])).toEqual([
      ['api-1', 'payments', 'api-1-pod', 1001, 'CRITICAL', 'breached', null, ['docker.io/team/api:1.2']],
      ['api-1', 'payments', 'api-1-pod', 1002, 'MEDIUM', 'exempted', true, ['docker.io/team/api:1.2']],
      ['api-2', 'checkout', 'api-2-pod', 1001, 'CRITICAL', 'breached', null, ['docker.io/team/api:1.2']],
      ['api-2', 'checkout', 'api-2-pod', 1002, 'MEDIUM', 'exempted', true, ['docker.io/team/api:1.2']],
    ]);
    // Keyed by the container, so the same finding in two containers is two documents.
    const keys = rows.map((r) => ('findingKey' in r ? r.findingKey : null));
    expect(new Set(keys).size).toBe(4);
  });

  it('an image grain takes nothing from containers, and a container grain nothing from images', () => {
    const img = image();
    expect(containerRowsOf([{ container: container(1, 'web'), image: img }], 'findings', { startedAt })).toEqual([]);
    expect(rowsOf([img], 'container-findings', { startedAt })).toEqual([]);
  });

  it('the software grain: one row per installed package, past end of life by its date at the export start or by its stage', () => {
    const img: ImageRecord = {
      ...image(),
      software: [
        {
          name: 'openssl',
          version: '1.0.2',
          fixVersion: null,
          packagePath: null,
          scanType: 'STATIC',
          lifecycleStage: 'EOL',
          lifecycleConfidence: null,
          endOfLife: '2019-12-31T00:00:00.000Z',
          endOfSupport: null,
          generalAvailability: null,
          vulnerabilityCounts: null,
          extra: {},
        },
        {
          name: 'zlib',
          version: '1.3',
          fixVersion: null,
          packagePath: '/usr/lib',
          scanType: 'STATIC',
          lifecycleStage: 'GA',
          lifecycleConfidence: null,
          endOfLife: null,
          endOfSupport: null,
          generalAvailability: null,
          vulnerabilityCounts: null,
          extra: {},
        },
      ],
    };
    const rows = rowsOf([img], 'software', { startedAt });
    expect(rows.map((r) => 'pastEndOfLife' in r && [r.name, r.pastEndOfLife, r.pastEndOfSupport, r.repositories])).toEqual([
      ['openssl', true, null, ['docker.io/team/api:1.2']],
      ['zlib', false, false, ['docker.io/team/api:1.2']],
    ]);
  });

  it("every grain's default columns build, and name what each row is", () => {
    for (const grain of RECORD_GRAINS) {
      const columns = buildColumnsFor(shapeOf(grain) as Parameters<typeof buildColumnsFor>[0], undefined, { joinWith: '; ' });
      expect(columns.length, grain).toBeGreaterThan(5);
    }
    const headers = buildColumnsFor(shapeOf('container-findings'), undefined, { joinWith: '; ' }).map((c) => c.header);
    expect(headers.slice(0, 6)).toEqual(['Container', 'Namespace', 'Pod', 'Cluster', 'Image', 'QID']);
  });
});
