import type { ImageRecord, IsoDate } from '../record.js';
import { repoTagText } from '../record-text.js';
import type { FindingRecord } from './finding-record.js';
import { severityLabel } from './severity.js';

/**
 * One finding of a run as its findings file keeps it (`<manifest>.findings.jsonl.gz`, one JSON line each): what a
 * later run compared with it (`run --compare-to`) needs to tell new findings from open ones, and to report the ones
 * that are gone as fixed, with the fields they had.
 */
export interface FindingLine {
  findingKey: string;
  sha: string;
  qid: number;
  repositories: string[];
  title: string | null;
  severity: number | null;
  severityLabel: string | null;
  firstFound: IsoDate | null;
  lastFound: IsoDate | null;
  slaDueAt: IsoDate | null;
  fixedVersion: string | null;
  exempted: boolean | null;
}

/** One image of a run as its findings file keeps it, so a later run can list the images that are gone. */
export interface ImageLine {
  image: string;
  repositories: string[];
}

/** The line an image leaves in its run's findings file. */
export function imageLineOf(image: ImageRecord): ImageLine {
  return { image: image.sha, repositories: image.repo.map(repoTagText) };
}

/** The line a finding row (at the findings grain) leaves in its run's findings file. */
export function findingLineOf(row: FindingRecord): FindingLine {
  return {
    findingKey: row.findingKey,
    sha: row.sha,
    qid: row.qid,
    repositories: row.repositories,
    title: row.title,
    severity: row.severity,
    severityLabel: row.severityLabel,
    firstFound: row.firstFound,
    lastFound: row.lastFound,
    slaDueAt: row.slaDueAt,
    fixedVersion: row.fixedVersion,
    exempted: row.exempted,
  };
}

/**
 * A finding of the previous run that this run did not see, as a record of this run: change "fixed", the previous
 * run's fields (its image, QID, title, severity, dates, SLA due date, fix version), the rest empty. A fixed finding
 * has no SLA standing any more: slaStatus "n/a", no age, no days overdue.
 */
export function fixedFinding(line: FindingLine): FindingRecord {
  return {
    findingKey: line.findingKey,
    sha: line.sha,
    imageId: null,
    repositories: line.repositories,
    imageInUse: null,
    imageLastScanned: null,
    qid: line.qid,
    title: line.title,
    severity: line.severity,
    severityLabel: severityLabel(line.severity),
    customerSeverity: null,
    cveIds: [],
    typeDetected: null,
    qdsScore: null,
    cvss3BaseScore: null,
    published: null,
    firstFound: line.firstFound,
    lastFound: line.lastFound,
    layerSha: null,
    exempted: line.exempted,
    exceptionName: null,
    exceptionReason: null,
    exceptionEndsAt: null,
    threatIntel: [],
    patchAvailable: null,
    packages: [],
    packageName: null,
    packageVersion: null,
    ageDays: null,
    slaDays: null,
    slaDueAt: line.slaDueAt,
    slaStatus: 'n/a',
    daysOverdue: null,
    fixAvailable: line.fixedVersion !== null,
    fixedVersion: line.fixedVersion,
    change: 'fixed',
    extra: {},
  };
}
