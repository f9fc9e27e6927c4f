import { countColumn, dateColumn, type KnownColumn, type RecordShape } from '../columns/columns.js';
import type { VulnerabilityCounts } from '../record.js';
import type { SoftwareRecord } from '../software-record.js';

/** Every field of SoftwareRecord and whether it holds a date, held to the type by `satisfies`. */
const SOFTWARE_FIELDS = {
  softwareKey: false,
  sha: false,
  imageId: false,
  repositories: false,
  imageInUse: false,
  name: false,
  version: false,
  fixVersion: false,
  packagePath: false,
  scanType: false,
  lifecycleStage: false,
  lifecycleConfidence: false,
  endOfLife: true,
  endOfSupport: true,
  generalAvailability: true,
  pastEndOfLife: false,
  pastEndOfSupport: false,
  vulnerabilityCounts: false,
  extra: false,
} as const satisfies Record<keyof SoftwareRecord, boolean>;

const COUNTS = { severity1Count: true, severity2Count: true, severity3Count: true, severity4Count: true, severity5Count: true, total: true } satisfies Record<
  keyof VulnerabilityCounts,
  true
>;

const text = (header: string): KnownColumn<SoftwareRecord> => ({ header, type: 'string' });
const count = countColumn<SoftwareRecord>;
const date = dateColumn<SoftwareRecord>;
const flag = (header: string): KnownColumn<SoftwareRecord> => ({ header, type: 'boolean' });

const KNOWN: Record<string, KnownColumn<SoftwareRecord>> = {
  softwareKey: text('Software Key'),
  sha: text('Image SHA'),
  imageId: text('Image ID'),
  repositories: text('Repositories'),
  imageInUse: flag('Image In Use'),
  name: text('Package'),
  version: text('Installed Version'),
  fixVersion: text('Fix Version'),
  packagePath: text('Package Path'),
  scanType: text('Scan Type'),
  lifecycleStage: text('Lifecycle Stage'),
  lifecycleConfidence: text('Lifecycle Confidence'),
  endOfLife: date('End of Life'),
  endOfSupport: date('End of Support'),
  generalAvailability: date('Generally Available'),
  pastEndOfLife: flag('Past End of Life'),
  pastEndOfSupport: flag('Past End of Support'),
  'vulnerabilityCounts.severity5Count': count('Severity 5 CRITICAL'),
  'vulnerabilityCounts.severity4Count': count('Severity 4 HIGH'),
  'vulnerabilityCounts.severity3Count': count('Severity 3 MEDIUM'),
  'vulnerabilityCounts.severity2Count': count('Severity 2 LOW'),
  'vulnerabilityCounts.severity1Count': count('Severity 1 INFO'),
  'vulnerabilityCounts.total': count('Vulnerabilities (total)'),
};

/** "Which end-of-life packages are in use, where": the image, the package, its lifecycle, then its findings. */
const SOFTWARE_DEFAULTS = [
  'repositories',
  'name',
  'version',
  'fixVersion',
  'lifecycleStage',
  'endOfLife',
  'pastEndOfLife',
  'endOfSupport',
  'pastEndOfSupport',
  'vulnerabilityCounts.severity5Count',
  'vulnerabilityCounts.severity4Count',
  'vulnerabilityCounts.severity3Count',
  'vulnerabilityCounts.total',
  'packagePath',
  'scanType',
  'imageInUse',
  'sha',
  'softwareKey',
];

/** Rows of the "software" grain: one per image × installed package. */
export const SOFTWARE_SHAPE: RecordShape<SoftwareRecord> = {
  noun: 'a software row',
  fields: new Set(Object.keys(SOFTWARE_FIELDS)),
  dateFields: new Set(
    Object.entries(SOFTWARE_FIELDS)
      .filter(([, isDate]) => isDate)
      .map(([k]) => k),
  ),
  nested: { vulnerabilityCounts: COUNTS, extra: 'open' },
  known: KNOWN,
  defaults: SOFTWARE_DEFAULTS,
};
