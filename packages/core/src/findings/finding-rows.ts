import { createHash } from 'node:crypto';
import type { ImageRecord, VulnerabilityFinding } from '../record.js';
import { repoTagText } from '../record-text.js';
import type { AffectedPackage, FindingRecord } from './finding-record.js';
import { severityLabel } from './severity.js';
import { DEFAULT_SLA, type SlaPolicy } from '../sla-policy.js';
import { slaFields } from './sla.js';

export interface FindingRowOptions {
  /** The export's start time: ages and SLA status are measured at it. */
  now: Date;
  sla?: SlaPolicy;
  /** With a run to compare with: whether the finding (image sha × QID) is new or was already open in it. */
  changeOf?: (sha: string, qid: number) => 'new' | 'open';
}

/**
 * The rows of one image at the "findings" grain (one per QID) or the "packages" grain (one per QID × affected
 * package; a finding without packages still gives one row). An image Qualys reports no findings for gives none; a
 * finding without a QID cannot be keyed and is skipped (its image keeps it in the image record's `vulnerabilities`).
 * A QID listed twice for one image is one finding: the first occurrence is kept, so every key is written once.
 */
export function findingRows(image: ImageRecord, grain: 'findings' | 'packages', options: FindingRowOptions): FindingRecord[] {
  const rows: FindingRecord[] = [];
  const seen = new Set<string>();
  const identity = imageIdentity(image);
  for (const finding of image.vulnerabilities ?? []) {
    if (finding.qid === null) continue;
    const base = findingRow(identity, finding, options);
    if (grain === 'findings') {
      if (!seen.has(base.findingKey)) rows.push(base);
      seen.add(base.findingKey);
      continue;
    }
    const packages = base.packages.length > 0 ? base.packages : [null];
    for (const pkg of packages) {
      const key = pkg ? findingKey(image.sha, finding.qid, pkg) : base.findingKey;
      if (seen.has(key)) continue;
      seen.add(key);
      rows.push(
        pkg
          ? {
              ...base,
              findingKey: key,
              packages: [pkg],
              packageName: pkg.name,
              packageVersion: pkg.version,
              fixAvailable: base.patchAvailable === true || pkg.fixVersion !== null,
              fixedVersion: pkg.fixVersion,
            }
          : base,
      );
    }
  }
  return rows;
}

/**
 * sha256 of the image sha, the QID and (at the package grain) the package name and version, in hex: the Elasticsearch
 * `_id` of a finding, so a re-run updates it in place, and a join key for spreadsheets.
 */
export function findingKey(sha: string, qid: number, pkg?: AffectedPackage): string {
  const parts = [sha, String(qid)];
  if (pkg) parts.push(pkg.name ?? '', pkg.version ?? '');
  return createHash('sha256').update(parts.join('\u0000')).digest('hex');
}

type ImageIdentity = Pick<FindingRecord, 'sha' | 'imageId' | 'repositories' | 'imageInUse' | 'imageLastScanned'>;

function imageIdentity(image: ImageRecord): ImageIdentity {
  return {
    sha: image.sha,
    imageId: image.imageId,
    repositories: image.repo.map(repoTagText),
    imageInUse: image.associatedContainersCount === null ? null : image.associatedContainersCount > 0,
    imageLastScanned: image.lastScanned,
  };
}

function findingRow(identity: ImageIdentity, f: VulnerabilityFinding, options: FindingRowOptions): FindingRecord {
  const packages = f.software.map(affectedPackage);
  const fixVersions = [...new Set(packages.map((p) => p.fixVersion).filter((v): v is string => v !== null))];
  return {
    findingKey: findingKey(identity.sha, f.qid as number),
    ...identity,
    qid: f.qid as number,
    title: f.title,
    severity: f.severity,
    severityLabel: severityLabel(f.severity),
    customerSeverity: f.customerSeverity,
    cveIds: f.cveIds,
    typeDetected: f.typeDetected,
    qdsScore: f.qdsScore,
    cvss3BaseScore: f.cvss3BaseScore,
    published: f.published,
    firstFound: f.firstFound,
    lastFound: f.lastFound,
    layerSha: f.layerSha,
    exempted: f.isExempted,
    exceptionName: f.isExempted === true ? (f.exception?.name ?? null) : null,
    exceptionReason: f.isExempted === true ? (f.exception?.reason ?? null) : null,
    exceptionEndsAt: f.isExempted === true ? (f.exception?.endsAt ?? null) : null,
    threatIntel: f.threatIntel,
    patchAvailable: f.patchAvailable,
    packages,
    packageName: null,
    packageVersion: null,
    ...slaFields(f.severity, f.firstFound, options.now, options.sla ?? DEFAULT_SLA, f.isExempted === true),
    fixAvailable: f.patchAvailable === true || fixVersions.length > 0,
    fixedVersion: fixVersions.length > 0 ? fixVersions.join(', ') : null,
    change: options.changeOf ? options.changeOf(identity.sha, f.qid as number) : null,
    extra: f.extra,
  };
}

function affectedPackage(raw: Record<string, unknown>): AffectedPackage {
  const text = (v: unknown) => (typeof v === 'string' && v !== '' ? v : typeof v === 'number' ? String(v) : null);
  return { name: text(raw['name']), version: text(raw['version']), fixVersion: text(raw['fixVersion']) };
}
