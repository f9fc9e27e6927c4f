import { z } from 'zod';
import { ConfigError } from '../errors.js';
import type { ComplianceCounts, HostRef, ImageRecord, Label, Layer, RepoDigest, RepoTag, VulnerabilityCounts, VulnerabilityFinding } from '../record.js';
import { DATE_FIELDS, IMAGE_FIELD_NAMES } from '../record-fields.js';
import { repoDigestText, repoTagText } from '../record-text.js';
import { didYouMean } from '../suggest.js';

/** How a tabular sink should present a column: Excel formats dates and numbers by it; CSV writes all as text. */
export type ColumnType = 'string' | 'number' | 'date' | 'boolean' | 'auto';
/** One cell. Dates are ISO-8601 UTC strings in a 'date' column; null is an empty cell. */
export type CellValue = string | number | boolean | null;

/** A column of any row type: a sink that writes the grain its options name holds its columns as these. */
// biome-ignore lint/suspicious/noExplicitAny: the row type is the grain's, chosen at run time
export type AnyColumn = Column<any>;

export interface Column<R = ImageRecord> {
  /** The dot path or name the column was made from. */
  key: string;
  header: string;
  type: ColumnType;
  value(record: R): CellValue;
}

/** A column in the config: a dot path, or a path with its own header. Descriptions feed the editor schema. */
export const columnSpecSchema = z
  .union([
    z.string().min(1).meta({ description: 'A dot path into the record, e.g. `vulnerabilityCounts.severity5Count` or `extra.sbomSummary.packages`.' }),
    z
      .strictObject({
        path: z.string().min(1).meta({ description: 'A dot path into the record, e.g. `vulnerabilityCounts.severity5Count` or `extra.sbomSummary.packages`.' }),
        header: z.string().optional().meta({ description: 'The header text.', defaultText: "the known column's header, else the path" }),
      })
      .meta({ description: 'A column with its own header.' }),
  ])
  .meta({ description: 'A column: a dot path into the record, or `{ path, header }`.' });
export type ColumnSpec = z.output<typeof columnSpecSchema>;

/** Options every tabular sink takes, so CSV and Excel show the same values for the same record. */
export const tabularOptionsShape = {
  columns: z
    .array(columnSpecSchema)
    .min(1, 'columns must name at least one column; leave it out for the default set')
    .optional()
    .meta({ description: 'The columns to write, in order: dot paths into the record, or `{ path, header }`.', defaultText: 'the compliance set' }),
  joinWith: z.string().default('; ').meta({ description: 'Separator for multi-valued fields (tags, digests, scan types) in one cell.' }),
};

export interface KnownColumn<R> {
  header: string;
  type: ColumnType;
  /** A presentation for values a plain path walk would render poorly (objects in arrays). */
  format?: (record: R, join: string) => CellValue;
}

export const countColumn = <R>(header: string): KnownColumn<R> => ({ header, type: 'number' });
export const dateColumn = <R>(header: string): KnownColumn<R> => ({ header, type: 'date' });
const count = countColumn<ImageRecord>;
const date = dateColumn<ImageRecord>;

/**
 * What columns can be made from one kind of row: its fields, the fields inside its object-valued ones, the columns
 * with a header of their own, and the default set. Images and findings each have one.
 */
export interface RecordShape<R> {
  /** How messages name a row of this kind: "the record", "a finding". */
  noun: string;
  fields: ReadonlySet<string>;
  dateFields: ReadonlySet<string>;
  /** Fields inside object-valued fields; 'open' where any key may follow (`extra`). */
  nested: Partial<Record<string, Record<string, true | 'open'> | 'open'>>;
  known: Record<string, KnownColumn<R>>;
  defaults: readonly string[];
}

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
  'vulnerabilityCounts.severity1Count': count('Severity 1'),
  'vulnerabilityCounts.severity2Count': count('Severity 2'),
  'vulnerabilityCounts.severity3Count': count('Severity 3'),
  'vulnerabilityCounts.severity4Count': count('Severity 4'),
  'vulnerabilityCounts.severity5Count': count('Severity 5'),
  'vulnerabilityCounts.total': count('Vulnerabilities (total)'),
  riskScore: count('Risk Score'),
  maxQdsScore: count('Max QDS'),
  qdsSeverity: { header: 'QDS Severity', type: 'string' },
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

/** The compliance report's columns, in order, when a sink names none. */
export const DEFAULT_COLUMNS: readonly string[] = [
  'sha',
  'imageId',
  'repo',
  'repoDigests',
  'created',
  'updated',
  'lastScanned',
  'size',
  'vulnerabilityCounts.severity1Count',
  'vulnerabilityCounts.severity2Count',
  'vulnerabilityCounts.severity3Count',
  'vulnerabilityCounts.severity4Count',
  'vulnerabilityCounts.severity5Count',
  'vulnerabilityCounts.total',
  'riskScore',
  'qdsSeverity',
  'scanStatus',
  'scanTypes',
  'lastFoundOnHost.hostname',
  'lastFoundOnHost.ipAddress',
  'compliance.passCount',
  'compliance.failCount',
  'associatedContainersCount',
  'associatedHostsCount',
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

/** Why a column path does not exist in the row, with a did-you-mean; undefined when it does. */
function pathProblem(path: string, shape: RecordShape<unknown>): string | undefined {
  const [first = '', second, ...rest] = path.split('.');
  const fields = [...shape.fields];
  if (!shape.fields.has(first))
    return `"${path}": ${shape.noun} has no field "${first}"${didYouMean(first, fields)}; a path starts with one of ${fields.join(', ')}`;
  if (second === undefined) return undefined;
  const inner = shape.nested[first];
  if (inner === undefined) return `"${path}": ${first} is a single value, with no fields inside`;
  if (inner === 'open') return undefined;
  const kind = inner[second];
  if (kind === undefined)
    return `"${path}": ${first} has no field "${second}"${didYouMean(second, Object.keys(inner))}; it has ${Object.keys(inner).join(', ')}`;
  if (rest.length > 0 && kind !== 'open') return `"${path}": ${first}.${second} is a single value, with no fields inside`;
  return undefined;
}

/**
 * Turns column specs into columns. A path that does not exist in the record is a config error, segment by segment
 * (a typo would otherwise give an empty column in every row of an audit file); everything under `extra.` is
 * accepted, since new Qualys fields land there.
 */
export function buildColumns(specs: readonly ColumnSpec[] | undefined, options: { joinWith: string }): Column[] {
  return buildColumnsFor(IMAGE_SHAPE, specs, options);
}

/** buildColumns for any kind of row (images, findings). */
export function buildColumnsFor<R>(shape: RecordShape<R>, specs: readonly ColumnSpec[] | undefined, options: { joinWith: string }): Column<R>[] {
  const list = specs ?? shape.defaults;
  const unknown: string[] = [];
  const columns = list.map((spec): Column<R> => {
    const path = typeof spec === 'string' ? spec : spec.path;
    const header = typeof spec === 'string' ? undefined : spec.header;
    const first = path.split('.')[0] as string;
    const problem = pathProblem(path, shape as RecordShape<unknown>);
    if (problem !== undefined) unknown.push(problem);
    const known = shape.known[path];
    const segments = path.split('.');
    const format = known?.format;
    return {
      key: path,
      header: header ?? known?.header ?? path,
      type: known?.type ?? (shape.dateFields.has(first) && segments.length === 1 ? 'date' : 'auto'),
      value: format ? (r) => format(r, options.joinWith) : (r) => toCell(walk(r, segments), options.joinWith),
    };
  });
  if (unknown.length > 0) {
    throw new ConfigError(
      `unknown column${unknown.length > 1 ? 's' : ''} ${unknown.join('; ')}. ` +
        `A column is a dot path into ${shape.noun} (README "The record"); extra.* reaches fields Qualys added`,
    );
  }
  return columns;
}

/** Follows a dot path; through an array it maps over the elements, so repo.tag gives every tag. */
function walk(value: unknown, segments: readonly string[], from = 0): unknown {
  let current = value;
  for (let i = from; i < segments.length; i++) {
    if (current === null || current === undefined) return null;
    if (Array.isArray(current)) return current.flatMap((item) => walk(item, segments, i));
    if (typeof current !== 'object') return null;
    current = (current as Record<string, unknown>)[segments[i] as string];
  }
  return current;
}

function toCell(value: unknown, join: string): CellValue {
  if (value === null || value === undefined) return null;
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') return value;
  if (Array.isArray(value)) {
    const parts = value.filter((v) => v !== null && v !== undefined).map((v) => (typeof v === 'object' ? JSON.stringify(v) : String(v)));
    return joined(parts, join);
  }
  return JSON.stringify(value);
}

function joined(parts: readonly string[], join: string): string | null {
  return parts.length === 0 ? null : parts.join(join);
}
