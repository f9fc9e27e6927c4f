import type { ComplianceCounts, ImageRecord, Layer, RecordOrigin, RepoDigest, RepoTag, VulnerabilityCounts, VulnerabilityFinding } from '../record.js';
import { KNOWN_IMAGE_FIELDS } from '../record-fields.js';
import { FieldReader, keyedRecord, toHostRef, toLabel } from './field-reader.js';
import { isPlainObject, setField, toCount, toIsoDate, toNumber, toStr } from './values.js';

// cvssInfo, cvss3Info and threatIntel are read but not consumed: they stay whole in `extra`.
const KNOWN_FINDING_FIELDS: ReadonlySet<string> = new Set([
  'qid',
  'severity',
  'title',
  'result',
  'typeDetected',
  'firstFound',
  'lastFound',
  'layerSha',
  'software',
  'cveids',
  'patchAvailable',
  'customerSeverity',
  'qdsScore',
  'published',
  'isExempted',
]);
const KNOWN_LAYER_FIELDS: ReadonlySet<string> = new Set(['id', 'sha', 'size', 'created', 'createdBy', 'comment', 'tags']);

/**
 * Turns one image as any CS endpoint sends it (v1.3 list summary, details, bulk item; older versions alike)
 * into an ImageRecord. Pure and synchronous; throws ProtocolError only when the record cannot be identified.
 */
export function normalizeImage(input: unknown, origin: RecordOrigin): ImageRecord {
  const { raw, sha } = keyedRecord(input, 'an image record', origin, 'imageId');
  const f = new FieldReader(raw, KNOWN_IMAGE_FIELDS);
  const vulns = readVulnerabilities(raw['vulnerabilities'], f, origin);
  const baseImage = raw['baseImage'];

  // One literal, in record.ts order: every record has every key in the same order.
  return {
    sha,
    imageId: f.string('imageId'),
    uuid: f.string('uuid'),
    repo: (f.objects('repo') ?? []).map(toRepoTag),
    repoDigests: (f.objects('repoDigests') ?? []).map(toRepoDigest),
    created: f.date('created'),
    updated: f.date('updated'),
    lastUsedDate: f.date('lastUsedDate'),
    // One rule for every sink: the API's lastScanned when it sends one, else the v1.3 list's lastVmScanDate.
    lastScanned: f.date('lastScanned') ?? toIsoDate(raw['lastVmScanDate']),
    lastVmScanDate: f.date('lastVmScanDate'),
    lastComplianceScanDate: f.date('lastComplianceScanDate'),
    lastAssessed: f.date('lastAssessed'),
    firstFound: f.date('firstFound'),
    riskScoreCalculatedDate: f.date('riskScoreCalculatedDate'),
    criticalityUpdated: f.date('criticalityUpdated'),
    sbomLayerProcessingTimestamp: f.date('sbomLayerProcessingTimestamp'),
    baseImageProcessingTimestamp: f.date('baseImageProcessingTimestamp'),
    size: f.count('size'),
    operatingSystem: f.string('operatingSystem'),
    author: f.string('author'),
    dockerVersion: f.string('dockerVersion'),
    customerUuid: f.string('customerUuid'),
    vulnerabilityCounts: vulns.counts,
    vulnerabilities: vulns.findings,
    riskScore: f.number('riskScore'),
    maxQdsScore: f.number('maxQdsScore'),
    qdsSeverity: f.string('qdsSeverity'),
    criticality: f.number('criticality'),
    associatedContainersCount: f.count('associatedContainersCount'),
    associatedHostsCount: f.count('associatedHostsCount'),
    childImagesCount: f.count('childImagesCount'),
    source: f.strings('source'),
    scanTypes: f.strings('scanTypes'),
    scanStatus: f.string('scanStatus'),
    scanErrorCode: f.string('scanErrorCode'),
    scanErrorMessage: f.string('scanErrorMessage'),
    isDockerHubOfficial: f.bool('isDockerHubOfficial'),
    isInstrumented: f.bool('isInstrumented'),
    isContinuouslyAssessed: f.bool('isContinuouslyAssessed'),
    instrumentedFrom: f.string('instrumentedFrom'),
    instrumentationState: f.string('instrumentationState'),
    lastFoundOnHost: toHostRef(f.object('lastFoundOnHost')),
    compliance: toCompliance(f.object('compliance')),
    registryUuid: f.strings('registryUuid'),
    // Only a plain string is known to mean the base image's name; an object's shape is undocumented, so it is kept raw.
    baseImage: typeof baseImage === 'string' ? baseImage : baseImage === null || baseImage === undefined ? null : keepRaw(f, 'baseImage', baseImage),
    labels: (f.objects('label') ?? []).map(toLabel),
    layers: f.objects('layers')?.map(toLayer) ?? null,
    origin,
    extra: f.extra,
  };
}

function keepRaw(f: FieldReader, key: string, value: unknown): null {
  setField(f.extra, key, value);
  return null;
}

/**
 * `vulnerabilities` is a counts object on /images but an array of findings in the details and bulk shapes.
 * Counts are derived from findings only when every finding has a severity: bulk findings carry none, and
 * reporting zero there would tell an auditor an image is clean when nobody knows. That holds for an empty bulk list
 * too: a failed or pending scan also arrives as `[]`, so the bulk shape never yields counts.
 */
function readVulnerabilities(
  value: unknown,
  f: FieldReader,
  origin: RecordOrigin,
): { counts: VulnerabilityCounts | null; findings: VulnerabilityFinding[] | null } {
  if (value === null || value === undefined) return { counts: null, findings: null };
  if (Array.isArray(value)) {
    const findings = value.filter(isPlainObject).map(toFinding);
    if (findings.length !== value.length) f.extra['vulnerabilities'] = value;
    if (origin === 'images/list') return { counts: null, findings };
    const counts: VulnerabilityCounts = { severity1Count: 0, severity2Count: 0, severity3Count: 0, severity4Count: 0, severity5Count: 0, total: 0 };
    for (const finding of findings) {
      const s = finding.severity;
      if (s === null || s < 1 || s > 5 || !Number.isInteger(s)) return { counts: null, findings };
      counts[`severity${s as 1 | 2 | 3 | 4 | 5}Count`]++;
      counts.total++;
    }
    return { counts, findings };
  }
  if (isPlainObject(value)) return { counts: vulnerabilityCounts(value), findings: null };
  f.extra['vulnerabilities'] = value;
  return { counts: null, findings: null };
}

/** The counts object, in whatever key order it arrives; a null count inside it is 0. */
export function vulnerabilityCounts(raw: unknown): VulnerabilityCounts | null {
  if (!isPlainObject(raw)) return null;
  const c = (k: string) => toCount(raw[k]) ?? 0;
  const counts = {
    severity1Count: c('severity1Count'),
    severity2Count: c('severity2Count'),
    severity3Count: c('severity3Count'),
    severity4Count: c('severity4Count'),
    severity5Count: c('severity5Count'),
  };
  return { ...counts, total: counts.severity1Count + counts.severity2Count + counts.severity3Count + counts.severity4Count + counts.severity5Count };
}

function toRepoTag(r: Record<string, unknown>): RepoTag {
  return { registry: toStr(r['registry']), repository: toStr(r['repository']), tag: toStr(r['tag']) };
}

function toRepoDigest(r: Record<string, unknown>): RepoDigest {
  return { registry: toStr(r['registry']), repository: toStr(r['repository']), digest: toStr(r['digest']) };
}

function toCompliance(c: Record<string, unknown> | null): ComplianceCounts | null {
  if (c === null) return null;
  return { failCount: toCount(c['failCount']) ?? 0, passCount: toCount(c['passCount']) ?? 0, errorCount: toCount(c['errorCount']) ?? 0 };
}

function toLayer(l: Record<string, unknown>): Layer {
  const r = new FieldReader(l, KNOWN_LAYER_FIELDS);
  return {
    id: r.string('id'),
    sha: r.string('sha'),
    size: r.count('size'),
    created: r.date('created'),
    createdBy: r.string('createdBy'),
    comment: r.string('comment'),
    tags: r.strings('tags'),
    extra: r.extra,
  };
}

function toFinding(v: Record<string, unknown>): VulnerabilityFinding {
  const r = new FieldReader(v, KNOWN_FINDING_FIELDS);
  return {
    qid: r.number('qid'),
    severity: r.number('severity'),
    title: r.string('title'),
    result: r.string('result'),
    typeDetected: r.string('typeDetected'),
    firstFound: r.date('firstFound'),
    lastFound: r.date('lastFound'),
    layerSha: r.string('layerSha'),
    software: r.objects('software') ?? [],
    cveIds: r.strings('cveids'),
    patchAvailable: r.bool('patchAvailable'),
    customerSeverity: r.number('customerSeverity'),
    qdsScore: r.number('qdsScore'),
    cvss3BaseScore: isPlainObject(v['cvss3Info']) ? toNumber(v['cvss3Info']['baseScore']) : null,
    published: r.date('published'),
    isExempted: r.bool('isExempted'),
    // Qualys sends none on a finding; enrichment attaches the image's exceptions to the exempted ones.
    exception: null,
    threatIntel: isPlainObject(v['threatIntel'])
      ? Object.entries(v['threatIntel'])
          .filter(([, on]) => on === true)
          .map(([flag]) => flag)
      : [],
    extra: r.extra,
  };
}
