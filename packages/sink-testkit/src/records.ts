import { silentLogger, type ImageRecord, type RunContext, type SoftwarePackage, type VulnerabilityFinding } from '@qcs-export/core/sink';
import { createRandom, HOSTILE_VALUES } from '@qcs-export/test-fixtures';

/** Deterministic, fully-typed ImageRecords for sink tests; `hostile` puts HOSTILE_VALUES into the string fields. */
export function makeTestRecords(count: number, options: { seed?: number; hostile?: boolean } = {}): ImageRecord[] {
  const random = createRandom(options.seed ?? 1);
  const int = (max: number) => random.int(0, max);
  const hex = (n: number) => Array.from({ length: n }, () => int(15).toString(16)).join('');
  const day = 86_400_000;
  return Array.from({ length: count }, (_, i): ImageRecord => {
    const sha = `${i.toString(16).padStart(8, '0')}${hex(56)}`;
    const hostile = options.hostile ? HOSTILE_VALUES[i % HOSTILE_VALUES.length] : undefined;
    const created = Date.UTC(2022, 0, 1) + int(1000) * day;
    const counts =
      i % 11 === 5
        ? null
        : { severity1Count: int(5), severity2Count: int(9), severity3Count: int(40), severity4Count: int(12), severity5Count: int(4), total: 0 };
    if (counts) counts.total = counts.severity1Count + counts.severity2Count + counts.severity3Count + counts.severity4Count + counts.severity5Count;
    const tags = i % 13 === 0 ? 0 : 1 + int(2);
    // As normalization gives it: lastScanned falls back to lastVmScanDate, so both hold one date.
    const scanned = new Date(created + int(150) * day).toISOString();
    return {
      sha,
      imageId: sha.slice(0, 12),
      uuid: `${hex(8)}-${hex(4)}-4${hex(3)}-8${hex(3)}-${hex(12)}`,
      repo: Array.from({ length: tags }, (_, t) => ({
        registry: 'docker.io',
        repository: hostile ?? `team/app-${i % 17}`,
        tag: t === 0 ? 'latest' : `v${t}.${i % 10}`,
      })),
      repoDigests: tags === 0 ? [] : [{ registry: 'docker.io', repository: `team/app-${i % 17}`, digest: hex(64) }],
      created: new Date(created).toISOString(),
      updated: new Date(created + int(100) * day).toISOString(),
      lastUsedDate: i % 4 === 0 ? null : new Date(created + int(200) * day).toISOString(),
      lastScanned: scanned,
      lastVmScanDate: scanned,
      lastComplianceScanDate: null,
      lastAssessed: null,
      firstFound: null,
      riskScoreCalculatedDate: new Date(created + 5 * day).toISOString(),
      criticalityUpdated: null,
      sbomLayerProcessingTimestamp: null,
      baseImageProcessingTimestamp: null,
      size: 1_000_000 + int(900_000_000),
      operatingSystem: i % 3 === 0 ? 'Alpine Linux 3.19.1' : null,
      author: null,
      dockerVersion: null,
      customerUuid: null,
      vulnerabilityCounts: counts,
      vulnerabilities: null,
      riskScore: counts ? int(100) : null,
      maxQdsScore: counts ? int(100) : null,
      qdsSeverity: counts ? ((['LOW', 'MEDIUM', 'HIGH', 'CRITICAL'] as const)[int(3)] ?? null) : null,
      criticality: i % 5 === 0 ? null : 1 + int(4),
      associatedContainersCount: int(30),
      associatedHostsCount: int(8),
      childImagesCount: 0,
      source: ['GENERAL'],
      scanTypes: i % 2 ? ['SCA', 'DYNAMIC'] : ['DYNAMIC'],
      scanStatus: counts ? 'SUCCESS' : 'FAILED',
      scanErrorCode: null,
      scanErrorMessage: hostile ?? null,
      isDockerHubOfficial: i % 9 === 0,
      isInstrumented: null,
      isContinuouslyAssessed: i % 3 === 0 ? true : null,
      instrumentedFrom: null,
      instrumentationState: null,
      lastFoundOnHost:
        i % 6 === 0
          ? null
          : {
              sensorUuid: hex(8),
              hostname: `ip-10-0-${i % 255}-1`,
              ipAddress: `10.0.${i % 255}.1`,
              uuid: hex(8),
              lastUpdated: new Date(created + 3 * day).toISOString(),
            },
      compliance: { failCount: int(3), passCount: int(20), errorCount: 0 },
      registryUuid: [],
      baseImage: null,
      labels: hostile ? [{ key: 'note', value: hostile }] : [],
      layers: null,
      origin: 'images',
      extra: i % 7 === 0 ? { sbomSummary: { packages: int(500), formats: ['spdx'] }, scanType: null } : {},
    };
  });
}

export function makeRunContext(overrides: Partial<RunContext> = {}): RunContext {
  return {
    startedAt: new Date(Date.UTC(2026, 10, 22, 10, 30, 0)),
    toolVersion: '0.0.0-test',
    sourceLabel: 'test',
    filter: undefined,
    baseDir: process.cwd(),
    logger: silentLogger,
    signal: new AbortController().signal,
    ...overrides,
  };
}

export function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value as Record<string, unknown>)) deepFreeze(v);
  }
  return value;
}

/**
 * One finding as enrichment hands it on, with every field set: an openssl package with a fix, one CVE, no exception
 * details. `overrides` sets the rest (severity, firstFound, isExempted, …).
 */
export function makeTestFinding(qid: number, overrides: Partial<VulnerabilityFinding> = {}): VulnerabilityFinding {
  return {
    qid,
    severity: 5,
    title: `A vulnerability with a rather long title, number ${qid}`,
    result: null,
    typeDetected: 'CONFIRMED',
    firstFound: '2024-01-01T00:00:00.000Z',
    lastFound: '2024-01-01T00:00:00.000Z',
    layerSha: null,
    software: [{ name: 'openssl', version: '3.0.1', fixVersion: '3.0.7' }],
    cveIds: ['CVE-2024-0001'],
    patchAvailable: true,
    customerSeverity: null,
    qdsScore: null,
    cvss3BaseScore: null,
    published: null,
    isExempted: false,
    exception: null,
    threatIntel: [],
    extra: {},
    ...overrides,
  };
}

/**
 * One installed package as software enrichment hands it on: version 1.0, generally available, no path, fix, dates or
 * counts. `overrides` sets the rest (version, lifecycleStage, endOfLife, packagePath, …).
 */
export function makeTestPackage(name: string, overrides: Partial<SoftwarePackage> = {}): SoftwarePackage {
  return {
    name,
    version: '1.0',
    fixVersion: null,
    packagePath: null,
    scanType: 'STATIC',
    lifecycleStage: 'GA',
    lifecycleConfidence: null,
    endOfLife: null,
    endOfSupport: null,
    generalAvailability: null,
    vulnerabilityCounts: null,
    extra: {},
    ...overrides,
  };
}
