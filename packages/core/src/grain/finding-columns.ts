import { countColumn, dateColumn, type KnownColumn, type RecordShape } from '../columns/columns.js';
import type { AffectedPackage, FindingRecord } from '../findings/finding-record.js';

/** Every field of FindingRecord and its kind, held to the type by `satisfies`. */
const FINDING_FIELDS = {
  findingKey: 'string',
  sha: 'string',
  imageId: 'string',
  repositories: 'strings',
  imageInUse: 'boolean',
  imageLastScanned: 'date',
  qid: 'number',
  title: 'string',
  severity: 'number',
  severityLabel: 'string',
  customerSeverity: 'number',
  cveIds: 'strings',
  typeDetected: 'string',
  qdsScore: 'number',
  cvss3BaseScore: 'number',
  published: 'date',
  firstFound: 'date',
  lastFound: 'date',
  layerSha: 'string',
  exempted: 'boolean',
  exceptionName: 'string',
  exceptionReason: 'string',
  exceptionEndsAt: 'date',
  threatIntel: 'strings',
  patchAvailable: 'boolean',
  packages: 'objects',
  packageName: 'string',
  packageVersion: 'string',
  ageDays: 'number',
  slaDays: 'number',
  slaDueAt: 'date',
  slaStatus: 'string',
  daysOverdue: 'number',
  fixAvailable: 'boolean',
  fixedVersion: 'string',
  change: 'string',
  extra: 'open',
} as const satisfies Record<keyof FindingRecord, string>;

const PACKAGE = { name: true, version: true, fixVersion: true } satisfies Record<keyof AffectedPackage, true>;

const text = (header: string): KnownColumn<FindingRecord> => ({ header, type: 'string' });
const count = countColumn<FindingRecord>;
const date = dateColumn<FindingRecord>;

const KNOWN: Record<string, KnownColumn<FindingRecord>> = {
  findingKey: text('Finding Key'),
  sha: text('Image SHA'),
  imageId: text('Image ID'),
  repositories: text('Repositories'),
  imageInUse: { header: 'Image In Use', type: 'boolean' },
  imageLastScanned: date('Image Last Scanned'),
  qid: count('QID'),
  title: text('Title'),
  severity: count('Severity'),
  severityLabel: text('Severity Label'),
  customerSeverity: count('Customer Severity'),
  cveIds: text('CVEs'),
  typeDetected: text('Type Detected'),
  qdsScore: count('QDS'),
  cvss3BaseScore: count('CVSS v3 Base'),
  published: date('Published'),
  firstFound: date('First Found'),
  lastFound: date('Last Found'),
  exempted: { header: 'Exempted', type: 'boolean' },
  exceptionName: text('Exception'),
  exceptionReason: text('Exception Reason'),
  exceptionEndsAt: date('Exception Ends'),
  threatIntel: text('Threat Intel'),
  patchAvailable: { header: 'Patch Available', type: 'boolean' },
  packages: {
    header: 'Packages',
    type: 'string',
    format: (r, join) =>
      r.packages.length === 0 ? null : r.packages.map((p) => `${p.name ?? '?'} ${p.version ?? '?'}${p.fixVersion ? ` → ${p.fixVersion}` : ''}`).join(join),
  },
  packageName: text('Package'),
  packageVersion: text('Installed Version'),
  ageDays: count('Age (days)'),
  slaDays: count('SLA (days)'),
  slaDueAt: date('SLA Due'),
  slaStatus: text('SLA Status'),
  daysOverdue: count('Days Overdue'),
  fixAvailable: { header: 'Fix Available', type: 'boolean' },
  fixedVersion: text('Fixed Version'),
  change: text('Change'),
};

/** The audit's columns: which image, which vulnerability, since when, the SLA, and whether a fix exists. */
const FINDING_DEFAULTS = [
  // What a printed page shows comes first (sink-excel's print area): the image, the vulnerability, its dates and SLA,
  // the fix; on the packages grain also the package and its version, which take the place of `packages`.
  'repositories',
  'qid',
  'title',
  'severity',
  'severityLabel',
  'firstFound',
  'slaDueAt',
  'slaStatus',
  'daysOverdue',
  'fixedVersion',
  'packages',
  'sha',
  'cveIds',
  'typeDetected',
  'lastFound',
  'ageDays',
  'slaDays',
  'exceptionReason',
  'exceptionEndsAt',
  'fixAvailable',
  'imageInUse',
  'findingKey',
];
const PACKAGE_DEFAULTS = FINDING_DEFAULTS.flatMap((c) => (c === 'packages' ? ['packageName', 'packageVersion'] : [c]));

const base = {
  noun: 'a finding',
  fields: new Set(Object.keys(FINDING_FIELDS)),
  dateFields: new Set(
    Object.entries(FINDING_FIELDS)
      .filter(([, kind]) => kind === 'date')
      .map(([k]) => k),
  ),
  nested: { packages: PACKAGE, extra: 'open' as const },
  known: KNOWN,
};

/** Rows of the "findings" grain (image × QID). */
export const FINDING_SHAPE: RecordShape<FindingRecord> = { ...base, defaults: FINDING_DEFAULTS };
/** Rows of the "packages" grain (image × QID × package). */
export const PACKAGE_SHAPE: RecordShape<FindingRecord> = { ...base, defaults: PACKAGE_DEFAULTS };
