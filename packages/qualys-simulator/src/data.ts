import { createRandom, HOSTILE_VALUES, type Random } from '@qcs-export/test-fixtures';
import { applyTies, type Ties } from './ties.js';

/** One image as GET /csapi/v1.3/images returns it (v1.3 list summary), quirks included. */
export interface RawImage {
  created: string;
  updated: string;
  lastUsedDate: string | null;
  sha: string;
  repo: Array<{ registry: string; tag: string; repository: string }>;
  repoDigests: Array<{ registry: string; digest: string; repository: string }>;
  uuid: string;
  size: number;
  vulnerabilities: Record<string, number | null> | null;
  imageId: string;
  associatedContainersCount: number;
  associatedHostsCount: number;
  lastVmScanDate: string | null;
  registryUuid: null;
  source: string[];
  isDockerHubOfficial: boolean;
  scanType: null;
  scanTypes: string[];
  scanErrorCode: string | null;
  scanStatus: string;
  lastFoundOnHost: { sensorUuid: string; hostname: string; ipAddress: string; uuid: string; lastUpdated: string } | null;
  exceptions: null;
  riskScore: number | null;
  riskScoreCalculatedDate: number | null;
  maxQdsScore: number | null;
  qdsSeverity: string | null;
  lastScannedBySensor: null;
  scanErrorMessage: string | null;
  criticality: number | null;
  criticalityUpdated: number | null;
  baseImage: null;
  childImagesCount: number;
  sbomLayerProcessingTimestamp: null;
  baseImageProcessingTimestamp: null;
  compliance: { failCount: number; passCount: number; errorCount: number };
  lastComplianceScanDate: string | null;
  [newerField: string]: unknown;
}

export interface GenerateOptions {
  /** Put hostile strings (formula starters, quotes, CR/LF, NUL, unicode, a 40,000-char value) into a few records. Default: false. */
  hostileValues?: boolean;
  /** The clock the data set is anchored at, so generation is repeatable. Default: 2026-11-01T00:00:00Z. */
  now?: number;
  /** After generation, this many images (the first `size`) share one value of `field`. Default: none. */
  ties?: Ties;
}

const REGISTRIES = ['docker.io', 'quay.io', 'gcr.io', 'ghcr.io', '123456789012.dkr.ecr.us-east-1.amazonaws.com', 'registry.example.com'];
const REPOSITORIES = [
  'nginx',
  'redis',
  'postgres',
  'library/alpine',
  'team/api',
  'team/worker',
  'platform/gateway',
  'known',
  'coredns',
  'grafana/grafana',
  'bitnami/kafka',
  'app/frontend',
];
const TAGS = ['latest', '1.25.3', '7.2', '16-alpine', '3.19', 'v2.4.1', 'main', '0.9.2', '1.6.6', 'sha-3f2a1c'];
const SOURCES = ['GENERAL', 'REGISTRY', 'CICD', 'CONTINUOUS_ASSESSMENT'];
const SCAN_TYPES = [['DYNAMIC'], ['SCA', 'DYNAMIC'], ['STATIC'], ['SCA']];
const QDS = ['LOW', 'MEDIUM', 'HIGH', 'CRITICAL'];
const DAY = 86_400_000;

function uuidFrom(r: Random): string {
  const h = r.hex(32);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-${'89ab'[r.int(0, 3)]}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/**
 * The deterministic data set: the same (count, seed, options) give identical records. `created` values spread
 * over years with ties, including a group at "0" (reproducible builds report 1970) of about 1% of the images.
 */
export function generateImages(count: number, seed: number, options: GenerateOptions = {}): RawImage[] {
  const r = createRandom(seed);
  const now = options.now ?? Date.UTC(2026, 10, 1);
  const zeroGroup = count >= 100 ? Math.max(3, Math.round(count * 0.01)) : 0;
  const images: RawImage[] = [];
  let sharedCreated = 0;
  for (let i = 0; i < count; i++) {
    let created: number;
    if (i < zeroGroup) created = 0;
    else if (i % 50 === 1 && sharedCreated > 0)
      created = sharedCreated; // small tie groups
    else {
      created = now - r.int(1, 6 * 365) * DAY - r.int(0, DAY - 1);
      sharedCreated = created;
    }
    images.push(makeImage(r, i, created, now, options.hostileValues === true));
  }
  if (options.ties) applyTies(images, options.ties);
  return images;
}

/** One more image, e.g. for images added while a crawl runs. */
export function makeImage(r: Random, index: number, created: number, now: number, hostile: boolean): RawImage {
  const sha = r.hex(64);
  const scannedAt = Math.max(created, now - r.int(0, 400) * DAY - r.int(0, DAY - 1));
  // Every 20th image shares its `updated` with the previous one, so the bulk cursor meets ties.
  const updated = index % 20 === 7 ? scannedAt - (scannedAt % 1000) : scannedAt + r.int(0, 999);
  const tagCount = r.chance(0.05) ? 0 : r.int(1, 3);
  const registry = r.pick(REGISTRIES);
  const repository = r.pick(REPOSITORIES);
  const repo = Array.from({ length: tagCount }, () => ({ registry, tag: r.pick(TAGS), repository }));
  const unscanned = r.chance(0.03);
  const counts = unscanned
    ? null
    : {
        severity5Count: r.chance(0.7) ? 0 : r.int(1, 12),
        severity3Count: r.int(0, 60),
        severity4Count: r.int(0, 20),
        severity1Count: r.chance(0.02) ? null : r.int(0, 5),
        severity2Count: r.int(0, 10),
      };
  const image: RawImage = {
    created: String(created),
    updated: String(updated),
    lastUsedDate: r.chance(0.1) ? null : String(updated - r.int(0, 30) * DAY),
    sha,
    repo,
    repoDigests: tagCount === 0 ? [] : [{ registry, digest: r.hex(64), repository }],
    uuid: uuidFrom(r),
    size: r.int(2_000_000, 1_500_000_000),
    vulnerabilities: counts,
    imageId: sha.slice(0, 12),
    associatedContainersCount: r.int(0, 40),
    associatedHostsCount: r.int(0, 12),
    lastVmScanDate: unscanned ? null : String(scannedAt),
    registryUuid: null,
    source: [r.pick(SOURCES)],
    isDockerHubOfficial: registry === 'docker.io' && r.chance(0.3),
    scanType: null,
    scanTypes: r.pick(SCAN_TYPES),
    scanErrorCode: unscanned ? 'SCAN_TIMEOUT' : null,
    scanStatus: unscanned ? 'FAILED' : 'SUCCESS',
    lastFoundOnHost: r.chance(0.1)
      ? null
      : {
          sensorUuid: uuidFrom(r),
          hostname: `ip-10-${r.int(0, 255)}-${r.int(0, 255)}-${r.int(0, 255)}`,
          ipAddress: `10.${r.int(0, 255)}.${r.int(0, 255)}.${r.int(0, 255)}`,
          uuid: uuidFrom(r),
          lastUpdated: new Date(updated - r.int(0, 5) * DAY).toISOString(),
        },
    exceptions: null,
    riskScore: unscanned ? null : r.int(0, 100),
    riskScoreCalculatedDate: unscanned ? null : updated + r.int(0, 60_000),
    maxQdsScore: unscanned ? null : r.int(0, 100),
    qdsSeverity: unscanned ? null : r.pick(QDS),
    lastScannedBySensor: null,
    scanErrorMessage: unscanned ? 'Scan timed out' : null,
    criticality: r.chance(0.1) ? null : r.int(1, 5),
    criticalityUpdated: r.chance(0.1) ? null : created + r.int(0, 30) * DAY,
    baseImage: null,
    childImagesCount: r.chance(0.9) ? 0 : r.int(1, 8),
    sbomLayerProcessingTimestamp: null,
    baseImageProcessingTimestamp: null,
    compliance: { failCount: r.int(0, 6), passCount: r.int(0, 30), errorCount: r.chance(0.95) ? 0 : 1 },
    lastComplianceScanDate: r.chance(0.2) ? null : String(scannedAt - r.int(0, 10) * DAY),
  };
  if (index % 3 === 0) {
    image['isContinuouslyAssessed'] = r.chance(0.5);
    image['lastAssessed'] = updated;
    image['firstFound'] = String(created > 0 ? created : scannedAt);
  }
  // A field from a future API release, so the exporter's pass-through of unknown fields is exercised.
  if (index % 7 === 0) image['sbomSummary'] = { packages: r.int(10, 900), generator: 'qualys-sca', formats: ['spdx', 'cyclonedx'] };
  if (hostile && index >= 1 && index <= HOSTILE_VALUES.length) {
    const value = HOSTILE_VALUES[index - 1] as string;
    image.repo = [{ registry, tag: value, repository: `evil/${value}` }];
    image.scanErrorMessage = value;
  }
  return image;
}
