import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { normalizeImage, ProtocolError, toIsoDate, type ImageRecord } from '../src/index.js';

const fixture = (name: string) => JSON.parse(readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8')) as Record<string, unknown>;
const listSample = (fixture('images-v1.3-list.json')['data'] as Array<Record<string, unknown>>)[0] as Record<string, unknown>;

describe('normalizeImage: the documented samples', () => {
  it('normalizes the v1.3 list sample to the exact record', () => {
    const r = normalizeImage(listSample, 'images');
    expect(r).toEqual<ImageRecord>({
      sha: '4f67c83422ec747235357c04556616234e66fc3fa39cb4f40b2d4441ddd8f100',
      imageId: '4f67c83422ec',
      uuid: '16c984cf-7029-3cd9-951f-b9ef7d712059',
      repo: [{ registry: 'docker.io', repository: 'nginx', tag: 'latest' }],
      repoDigests: [{ registry: 'docker.io', repository: 'nginx', digest: '0f04e4f646a3f14bf31d8bc8d885b6c951fdcf42589d06845f64d18aec6a3c4d' }],
      created: '2024-05-29T23:55:01.000Z',
      updated: '2024-07-23T05:55:04.046Z',
      lastUsedDate: '2024-07-23T05:55:04.046Z',
      // the sample has no lastScanned: it falls back to lastVmScanDate (one rule for every sink, issue 9 point 4)
      lastScanned: '2024-06-17T19:22:25.295Z',
      lastVmScanDate: '2024-06-17T19:22:25.295Z',
      lastComplianceScanDate: '2024-06-12T06:58:34.362Z',
      lastAssessed: null,
      firstFound: null,
      riskScoreCalculatedDate: '2024-07-22T07:01:34.803Z',
      criticalityUpdated: '2024-05-30T19:54:03.553Z',
      sbomLayerProcessingTimestamp: null,
      baseImageProcessingTimestamp: null,
      size: 187667860,
      operatingSystem: null,
      author: null,
      dockerVersion: null,
      customerUuid: null,
      vulnerabilityCounts: { severity1Count: 0, severity2Count: 0, severity3Count: 0, severity4Count: 0, severity5Count: 0, total: 0 },
      vulnerabilities: null,
      riskScore: 78,
      maxQdsScore: 65,
      qdsSeverity: 'MEDIUM',
      criticality: 4,
      associatedContainersCount: 0,
      associatedHostsCount: 1,
      childImagesCount: 0,
      source: ['GENERAL'],
      scanTypes: ['DYNAMIC'],
      scanStatus: 'SUCCESS',
      scanErrorCode: null,
      scanErrorMessage: null,
      isDockerHubOfficial: false,
      isInstrumented: null,
      isContinuouslyAssessed: null,
      instrumentedFrom: null,
      instrumentationState: null,
      lastFoundOnHost: {
        sensorUuid: 'e5c501d1-169e-4001-83d1-ca60ba35ef7d',
        hostname: 'ip-10-**-8-**',
        ipAddress: '10.**.8.**',
        uuid: 'b7b5ad35-41fd-4262-9cbf-bc2601a6b5f5',
        lastUpdated: '2024-06-12T06:54:09.796Z',
      },
      compliance: { failCount: 2, passCount: 0, errorCount: 0 },
      registryUuid: [],
      baseImage: null,
      labels: [],
      layers: null,
      origin: 'images',
      // fields the model does not map are kept, untouched
      extra: { scanType: null, exceptions: null, lastScannedBySensor: null },
    });
  });

  it('normalizes the SCA sample: shuffled count keys, total, instrumentation fields', () => {
    const r = normalizeImage(fixture('image-v1.3-sca.json'), 'images');
    expect(r.vulnerabilityCounts).toEqual({ severity1Count: 1, severity2Count: 1, severity3Count: 54, severity4Count: 13, severity5Count: 8, total: 77 });
    expect(r.scanTypes).toEqual(['SCA', 'DYNAMIC']);
    expect(r.isInstrumented).toBe(false);
    expect(r.created).toBe('2018-05-05T12:16:20.000Z');
  });

  it('normalizes the v1.1 sample with repoDigests and author', () => {
    const r = normalizeImage(fixture('image-v1.1-repodigests.json'), 'images');
    expect(r.repoDigests).toEqual([
      { registry: 'k8s.gcr.io', repository: 'coredns', digest: '2c8d61c46f484d881db43b34d13ca47a269336e576c81cf007ca740fa9ec0800' },
    ]);
    expect(r.author).toBeNull();
    expect(r.updated).toBe('2020-05-12T12:13:27.540Z');
    expect(r.vulnerabilityCounts).toBeNull();
  });
});

describe('toIsoDate', () => {
  it.each([
    ['1717026901000', '2024-05-29T23:55:01.000Z'],
    [1721631694803, '2024-07-22T07:01:34.803Z'],
    ['2024-06-12T06:54:09.796Z', '2024-06-12T06:54:09.796Z'],
    ['2024-06-12T06:54:09Z', '2024-06-12T06:54:09.000Z'],
    ['2024-06-12T08:54:09.796+02:00', '2024-06-12T06:54:09.796Z'],
    [1717026901, '2024-05-29T23:55:01.000Z'],
    ['1717026901', '2024-05-29T23:55:01.000Z'],
  ])('reads %j as %s', (input, expected) => {
    expect(toIsoDate(input)).toBe(expected);
  });

  it.each([null, undefined, '', 'null', '0', 0, -631152000000, '-631152000000', NaN, 'yesterday', '12/01/2024', {}, true])('gives null for %j', (input) => {
    expect(toIsoDate(input)).toBeNull();
  });
});

describe('normalizeImage: odd values', () => {
  const base = { sha: 'a'.repeat(64), uuid: 'u-1' };

  it('keeps a value it cannot read in extra instead of dropping it', () => {
    const r = normalizeImage(
      { ...base, created: 'last tuesday', size: 'big', criticality: 'HIGH', isDockerHubOfficial: 'maybe', source: 'REGISTRY', baseImage: { sha: 'b' } },
      'images',
    );
    expect(r.created).toBeNull();
    expect(r.size).toBeNull();
    expect(r.criticality).toBeNull();
    expect(r.isDockerHubOfficial).toBeNull();
    expect(r.source).toEqual(['REGISTRY']);
    expect(r.baseImage).toBeNull();
    expect(r.extra).toEqual({ created: 'last tuesday', size: 'big', criticality: 'HIGH', isDockerHubOfficial: 'maybe', baseImage: { sha: 'b' } });
  });

  it('reads numeric strings as numbers, and null counts inside the counts object as 0', () => {
    const r = normalizeImage(
      { ...base, criticality: '4', size: '1024', vulnerabilities: { severity1Count: null, severity2Count: '3', severity5Count: 1 } },
      'images',
    );
    expect(r.criticality).toBe(4);
    expect(r.size).toBe(1024);
    expect(r.vulnerabilityCounts).toEqual({ severity1Count: 0, severity2Count: 3, severity3Count: 0, severity4Count: 0, severity5Count: 1, total: 4 });
  });

  it('keeps unknown (newer) fields under extra with their values untouched', () => {
    const future = { packages: 12, nested: { a: [1, 2] } };
    const r = normalizeImage({ ...base, sbomSummary: future, isContinuouslyAssessed: true, lastAssessed: 1751850000000 }, 'images');
    expect(r.extra).toEqual({ sbomSummary: future });
    expect(r.isContinuouslyAssessed).toBe(true);
    expect(r.lastAssessed).toBe('2025-07-07T01:00:00.000Z');
  });

  it('derives counts from a details-shape findings array only when every finding has a severity', () => {
    const details = normalizeImage(
      {
        ...base,
        vulnerabilities: [
          { qid: 1, severity: 5, lastFound: '1718652145295' },
          { qid: 2, severity: 3 },
          { qid: 3, severity: 5 },
        ],
      },
      'images/details',
    );
    expect(details.vulnerabilityCounts).toEqual({ severity1Count: 0, severity2Count: 0, severity3Count: 1, severity4Count: 0, severity5Count: 2, total: 3 });
    expect(details.vulnerabilities?.[0]).toMatchObject({ qid: 1, severity: 5, lastFound: '2024-06-17T19:22:25.295Z' });
    const bulk = normalizeImage(
      { ...base, vulnerabilities: [{ qid: 9, result: '#table cols="3"\nPackage A B', software: [{ name: 'zlib' }], layerSha: 'x' }] },
      'images/list',
    );
    expect(bulk.vulnerabilityCounts).toBeNull();
    expect(bulk.vulnerabilities).toEqual([
      {
        qid: 9,
        severity: null,
        title: null,
        result: '#table cols="3"\nPackage A B',
        typeDetected: null,
        firstFound: null,
        lastFound: null,
        layerSha: 'x',
        software: [{ name: 'zlib' }],
        cveIds: [],
        patchAvailable: null,
        customerSeverity: null,
        qdsScore: null,
        cvss3BaseScore: null,
        published: null,
        isExempted: null,
        exception: null,
        threatIntel: [],
        extra: {},
      },
    ]);
  });

  it('fills lastScanned from lastVmScanDate when the API sends no lastScanned, so every sink shows one value', () => {
    const listOnly = normalizeImage({ ...base, lastScanned: undefined, lastVmScanDate: '1718652145295' }, 'images');
    expect(listOnly.lastScanned).toBe('2024-06-17T19:22:25.295Z');
    expect(listOnly.lastVmScanDate).toBe('2024-06-17T19:22:25.295Z');
    const both = normalizeImage({ ...base, lastScanned: '1718000000000', lastVmScanDate: '1718652145295' }, 'images');
    expect(both.lastScanned).toBe('2024-06-10T06:13:20.000Z');
    expect(normalizeImage({ ...base, lastScanned: null, lastVmScanDate: null }, 'images').lastScanned).toBeNull();
  });

  it('gives a bulk record with an empty findings list (a failed or pending scan) null counts, never zeros', () => {
    const failed = normalizeImage({ ...base, scanStatus: 'FAILED', vulnerabilities: [] }, 'images/list');
    expect(failed.vulnerabilityCounts).toBeNull();
    expect(failed.vulnerabilities).toEqual([]);
    // the details shape carries severities, so an empty list there does mean no findings
    expect(normalizeImage({ ...base, vulnerabilities: [] }, 'images/details').vulnerabilityCounts?.total).toBe(0);
  });

  it('reads layers with string sizes and epoch-string dates, and labels', () => {
    const r = normalizeImage(
      {
        ...base,
        layers: [{ size: '130553983', created: '1717026901000', createdBy: 'ADD x', sha: 's', tags: null, layerNumber: 0 }],
        label: [{ key: 'k', value: 'v' }],
      },
      'images/list',
    );
    expect(r.layers).toEqual([
      { id: null, sha: 's', size: 130553983, created: '2024-05-29T23:55:01.000Z', createdBy: 'ADD x', comment: null, tags: [], extra: { layerNumber: 0 } },
    ]);
    expect(r.labels).toEqual([{ key: 'k', value: 'v' }]);
  });

  it('throws a ProtocolError naming the uuid when a record has no sha', () => {
    expect(() => normalizeImage({ uuid: 'abc-123', imageId: '5d556c82899c' }, 'images')).toThrow(ProtocolError);
    expect(() => normalizeImage({ uuid: 'abc-123' }, 'images')).toThrow(/uuid abc-123/);
    expect(() => normalizeImage(null, 'images')).toThrow(ProtocolError);
  });

  it('gives every record the same keys in the same order, whatever the endpoint', () => {
    const list = normalizeImage(listSample, 'images');
    const bulk = normalizeImage({ ...base, vulnerabilities: [{ qid: 1 }], layers: [] }, 'images/list');
    expect(Object.keys(bulk)).toEqual(Object.keys(list));
  });

  it('never changes the type of a key across odd records', () => {
    const odd = [
      listSample,
      fixture('image-v1.3-sca.json'),
      fixture('image-v1.1-repodigests.json'),
      { ...base, vulnerabilities: null, repo: null, lastFoundOnHost: null, compliance: null, criticality: '2' },
      { ...base, vulnerabilities: [{ qid: 1, severity: 2 }], repo: 'not-an-array', size: '77', created: 1717026901, source: null },
    ].map((raw) => normalizeImage(raw, 'images'));
    for (const key of Object.keys(odd[0] as ImageRecord)) {
      const types = new Set(
        odd
          .map((r) => (r as unknown as Record<string, unknown>)[key])
          .filter((v) => v !== null)
          .map((v) => (Array.isArray(v) ? 'array' : typeof v)),
      );
      expect(types.size, `key ${key} has types ${[...types].join(', ')}`).toBeLessThanOrEqual(1);
    }
  });
});
