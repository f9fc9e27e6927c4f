import { buildColumnsFor, type Column, type ColumnSpec, countColumn, dateColumn, joined, type KnownColumn, type RecordShape } from '../columns/columns.js';
import type { ComplianceCounts, HostRef, ImageRecord, Label, Layer, RepoDigest, RepoTag, VulnerabilityCounts, VulnerabilityFinding } from '../record.js';
import { DATE_FIELDS, IMAGE_FIELD_NAMES } from '../record-fields.js';
import { repoDigestText, repoTagText } from '../record-text.js';

const count = countColumn<ImageRecord>;
const date = dateColumn<ImageRecord>;

/** Paths with a header and type of their own; all other paths work too, typed by their values. */
const KNOWN: Record<string, KnownColumn<ImageRecord>> = {
  sha: { header: 'Image SHA', type: 'string' },
  imageId: { header: 'Image ID', type: 'string' },
  uuid: { header: 'Qualys UUID', type: 'string' },
  repo: { header: 'Repositories', type: 'string', format: (r, j) => joined(r.repo.map(repoTagText), j) },
  repoDigests: { header: 'Digests', type: 'string', format: (r, j) => joined(r.repoDigests.map(repoDigestText), j) },
  labels: {
    header: 'Labels',
    type: 'string',
    format: (r, j) =>
      joined(
        r.labels.map((l) => (l.value === null ? l.key : `${l.key}=${l.value}`)),
        j,
      ),
  },
  created: date('Created'),
  updated: date('Updated'),
  lastScanned: date('Last Scanned'),
  lastVmScanDate: date('Last VM Scan'),
  lastUsedDate: date('Last Used'),
  lastComplianceScanDate: date('Last Compliance Scan'),
  size: count('Size (bytes)'),
  'vulnerabilityCounts.severity1Count': count('Severity 1 INFO'),
  'vulnerabilityCounts.severity2Count': count('Severity 2 LOW'),
  'vulnerabilityCounts.severity3Count': count('Severity 3 MEDIUM'),
  'vulnerabilityCounts.severity4Count': count('Severity 4 HIGH'),
  'vulnerabilityCounts.severity5Count': count('Severity 5 CRITICAL'),
  'vulnerabilityCounts.total': count('Vulnerabilities (total)'),
  riskScore: count('Risk Score'),
  maxQdsScore: count('Max QDS'),
  // Qualys Detection Score's own band (LOW to CRITICAL by score), not the 1–5 severity: named apart so nobody reads one as the other.
  qdsSeverity: { header: 'QDS Rating', type: 'string' },
  criticality: count('Criticality'),
  scanStatus: { header: 'Scan Status', type: 'string' },
  scanTypes: { header: 'Scan Types', type: 'string' },
  source: { header: 'Source', type: 'string' },
  operatingSystem: { header: 'Operating System', type: 'string' },
  'lastFoundOnHost.hostname': { header: 'Last Host', type: 'string' },
  'lastFoundOnHost.ipAddress': { header: 'Last Host IP', type: 'string' },
  'compliance.passCount': count('Compliance Pass'),
  'compliance.failCount': count('Compliance Fail'),
  'compliance.errorCount': count('Compliance Error'),
  associatedContainersCount: count('Containers'),
  associatedHostsCount: count('Hosts'),
  isDockerHubOfficial: { header: 'Docker Hub Official', type: 'boolean' },
};

/**
 * The compliance report's columns when a sink names none, in the order a person reads them, the same in every sink:
 * which image, how bad (urgent severities first), its risk, how current the scan is; then the rest; and last the long
 * hex identifiers, needed to look an image up but never read, and wide enough to push the rest off the screen.
 */
export const DEFAULT_COLUMNS: readonly string[] = [
  'repo',
  'vulnerabilityCounts.severity5Count',
  'vulnerabilityCounts.severity4Count',
  'vulnerabilityCounts.severity3Count',
  'vulnerabilityCounts.severity2Count',
  'vulnerabilityCounts.severity1Count',
  'vulnerabilityCounts.total',
  'riskScore',
  'qdsSeverity',
  'lastScanned',
  'created',
  'updated',
  'size',
  'scanStatus',
  'scanTypes',
  'lastFoundOnHost.hostname',
  'lastFoundOnHost.ipAddress',
  'compliance.passCount',
  'compliance.failCount',
  'associatedContainersCount',
  'associatedHostsCount',
  'sha',
  'imageId',
  'repoDigests',
];

/** Fields a path may start with: the record's own keys, `extra` for pass-through fields. */
const RECORD_KEYS: ReadonlySet<string> = new Set(IMAGE_FIELD_NAMES);

const REPO_TAG = { registry: true, repository: true, tag: true } satisfies Record<keyof RepoTag, true>;
const REPO_DIGEST = { registry: true, repository: true, digest: true } satisfies Record<keyof RepoDigest, true>;
const COUNTS = { severity1Count: true, severity2Count: true, severity3Count: true, severity4Count: true, severity5Count: true, total: true } satisfies Record<
  keyof VulnerabilityCounts,
  true
>;
const FINDING = {
  qid: true,
  severity: true,
  title: true,
  result: true,
  typeDetected: true,
  firstFound: true,
  lastFound: true,
  layerSha: true,
  software: 'open',
  cveIds: true,
  patchAvailable: true,
  customerSeverity: true,
  qdsScore: true,
  cvss3BaseScore: true,
  published: true,
  isExempted: true,
  exception: 'open',
  threatIntel: true,
  extra: 'open',
} satisfies Record<keyof VulnerabilityFinding, true | 'open'>;
const HOST = { sensorUuid: true, hostname: true, ipAddress: true, uuid: true, lastUpdated: true } satisfies Record<keyof HostRef, true>;
const COMPLIANCE = { failCount: true, passCount: true, errorCount: true } satisfies Record<keyof ComplianceCounts, true>;
const LAYER = { id: true, sha: true, size: true, created: true, createdBy: true, comment: true, tags: true, extra: 'open' } satisfies Record<
  keyof Layer,
  true | 'open'
>;
const LABEL = { key: true, value: true } satisfies Record<keyof Label, true>;

/**
 * The fields inside the record's object-valued fields, tied to their types by `satisfies`, so a column path is
 * checked segment by segment. 'open' marks where any key may follow: `extra` (fields Qualys adds) and raw shapes.
 */
const NESTED: RecordShape<ImageRecord>['nested'] = {
  repo: REPO_TAG,
  repoDigests: REPO_DIGEST,
  vulnerabilityCounts: COUNTS,
  vulnerabilities: FINDING,
  lastFoundOnHost: HOST,
  compliance: COMPLIANCE,
  layers: LAYER,
  labels: LABEL,
  extra: 'open',
  baseImage: 'open',
};

/** The image record: the default grain. */
export const IMAGE_SHAPE: RecordShape<ImageRecord> = {
  noun: 'the record',
  fields: RECORD_KEYS,
  dateFields: DATE_FIELDS,
  nested: NESTED,
  known: KNOWN,
  defaults: DEFAULT_COLUMNS,
};

/** Columns of image rows: buildColumnsFor with the image shape, the grain the CSV and Excel sinks default to. */
export function buildColumns(specs: readonly ColumnSpec[] | undefined, options: { joinWith: string }): Column[] {
  return buildColumnsFor(IMAGE_SHAPE, specs, options);
}
