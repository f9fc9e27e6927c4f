import type { IsoDate } from '../record.js';
import type { SeverityLabel } from './severity.js';
import type { SlaStatus } from './sla.js';

/**
 * What a finding is next to the run compared with (`run --compare-to`): `new` (not in that run), `open` (in both) or
 * `fixed` (in that run, gone from this one: a record with the previous run's fields).
 */
export type FindingChange = 'new' | 'open' | 'fixed';

export interface AffectedPackage {
  name: string | null;
  version: string | null;
  fixVersion: string | null;
}

/**
 * One vulnerability of one image (grain "findings"), or one affected package of it (grain "packages"), with the
 * image's identity and the compliance fields computed at export time. Every sink of a run computes them with the same
 * export time and SLA policy, so the CSV, the workbook and the index agree.
 */
export interface FindingRecord {
  /** sha256 of image sha + QID (+ package name and version for the "packages" grain): stable across runs. */
  findingKey: string;
  sha: string;
  imageId: string | null;
  /** registry/repository:tag of each tag the image has. */
  repositories: string[];
  /** The image has running containers (associatedContainersCount > 0); null when Qualys did not say. */
  imageInUse: boolean | null;
  imageLastScanned: IsoDate | null;

  qid: number;
  title: string | null;
  severity: number | null;
  severityLabel: SeverityLabel | null;
  customerSeverity: number | null;
  cveIds: string[];
  typeDetected: string | null;
  qdsScore: number | null;
  cvss3BaseScore: number | null;
  published: IsoDate | null;
  firstFound: IsoDate | null;
  lastFound: IsoDate | null;
  layerSha: string | null;
  exempted: boolean | null;
  /** The exception over an exempted finding, when Qualys gives one (see FindingException): name, reason code, end. */
  exceptionName: string | null;
  exceptionReason: string | null;
  exceptionEndsAt: IsoDate | null;
  /** Real-time threat-intelligence flags Qualys set (activeAttacks, publicExploit, …); Qualys sends them as true or null. */
  threatIntel: string[];
  patchAvailable: boolean | null;

  /** The affected packages ("findings") or the one package of this row ("packages"). */
  packages: AffectedPackage[];
  packageName: string | null;
  packageVersion: string | null;

  ageDays: number | null;
  slaDays: number | null;
  slaDueAt: IsoDate | null;
  slaStatus: SlaStatus;
  daysOverdue: number | null;
  /** patchAvailable, or any affected package names a fix version. */
  fixAvailable: boolean;
  /** The fix version(s) of the affected packages, distinct, in order. */
  fixedVersion: string | null;

  /** Next to the run compared with (`run --compare-to`): new, open or fixed; null when the run compares with none. */
  change: FindingChange | null;

  /** Fields of the finding this model does not know, kept untouched. */
  extra: Record<string, unknown>;
}
