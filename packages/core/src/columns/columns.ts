import { z } from 'zod';
import { ConfigError } from '../errors.js';
import type { ComplianceCounts, HostRef, ImageRecord, Label, Layer, RepoDigest, RepoTag, VulnerabilityCounts, VulnerabilityFinding } from '../record.js';
import { DATE_FIELDS, IMAGE_FIELD_NAMES, type ImageField } from '../record-fields.js';
import { didYouMean } from '../suggest.js';

/** How a tabular sink should present a column: Excel formats dates and numbers by it; CSV writes all as text. */
export type ColumnType = 'string' | 'number' | 'date' | 'boolean' | 'auto';
/** One cell. Dates are ISO-8601 UTC strings in a 'date' column; null is an empty cell. */
export type CellValue = string | number | boolean | null;

export interface Column {
  /** The dot path or name the column was made from. */
  key: string;
  header: string;
  type: ColumnType;
  value(record: ImageRecord): CellValue;
}

/** A column in the config: a dot path, or a path with its own header. */
export const columnSpecSchema = z.union([
  z.string().min(1),
  z.strictObject({
    /** Dot path into the record, e.g. vulnerabilityCounts.severity5Count or extra.sbomSummary.packages. */
    path: z.string().min(1),
    /** Header text. Default: the default column's header for known paths, else the path. */
    header: z.string().optional(),
  }),
]);
export type ColumnSpec = z.output<typeof columnSpecSchema>;

/** Options every tabular sink takes, so CSV and Excel show the same values for the same record. */
export const tabularOptionsShape = {
  /** Columns to write, in order. Default: the compliance column set (see the README's column reference). */
  columns: z.array(columnSpecSchema).min(1, 'columns must name at least one column; leave it out for the default set').optional(),
  /** Separator for multi-valued fields (tags, digests, scan types) in one cell. Default: "; ". */
  joinWith: z.string().default('; '),
};

const repoTag = (r: RepoTag) => `${r.registry ? `${r.registry}/` : ''}${r.repository ?? ''}${r.tag ? `:${r.tag}` : ''}`;
const repoDigest = (d: RepoDigest) => `${d.registry ? `${d.registry}/` : ''}${d.repository ?? ''}@${d.digest && !d.digest.includes(':') ? `sha256:${d.digest}` : (d.digest ?? '')}`;

interface Known {
  header: string;
  type: ColumnType;
  /** A presentation for values a plain path walk would render poorly (objects in arrays). */
  format?: (record: ImageRecord, join: string) => CellValue;
}

const count = (header: string): Known => ({ header, type: 'number' });
const date = (header: string): Known => ({ header, type: 'date' });

/** Paths with a header and type of their own; all other paths work too, typed by their values. */
const KNOWN: Record<string, Known> = {
  sha: { header: 'Image SHA', type: 'string' },
  imageId: { header: 'Image ID', type: 'string' },
  uuid: { header: 'Qualys UUID', type: 'string' },
  repo: { header: 'Repositories', type: 'string', format: (r, j) => joined(r.repo.map(repoTag), j) },
  repoDigests: { header: 'Digests', type: 'string', format: (r, j) => joined(r.repoDigests.map(repoDigest), j) },
  labels: { header: 'Labels', type: 'string', format: (r, j) => joined(r.labels.map((l) => (l.value === null ? l.key : `${l.key}=${l.value}`)), j) },
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
  'sha', 'imageId', 'repo', 'repoDigests', 'created', 'updated', 'lastScanned', 'size',
  'vulnerabilityCounts.severity1Count', 'vulnerabilityCounts.severity2Count', 'vulnerabilityCounts.severity3Count',
  'vulnerabilityCounts.severity4Count', 'vulnerabilityCounts.severity5Count', 'vulnerabilityCounts.total',
  'riskScore', 'qdsSeverity', 'scanStatus', 'scanTypes', 'lastFoundOnHost.hostname', 'lastFoundOnHost.ipAddress',
  'compliance.passCount', 'compliance.failCount', 'associatedContainersCount', 'associatedHostsCount',
];

/** Fields a path may start with: the record's own keys, `extra` for pass-through fields. */
const RECORD_KEYS: ReadonlySet<string> = new Set(IMAGE_FIELD_NAMES);

const REPO_TAG = { registry: true, repository: true, tag: true } satisfies Record<keyof RepoTag, true>;
const REPO_DIGEST = { registry: true, repository: true, digest: true } satisfies Record<keyof RepoDigest, true>;
const COUNTS = { severity1Count: true, severity2Count: true, severity3Count: true, severity4Count: true, severity5Count: true, total: true } satisfies Record<keyof VulnerabilityCounts, true>;
const FINDING = { qid: true, severity: true, title: true, result: true, typeDetected: true, firstFound: true, lastFound: true, layerSha: true, software: 'open', extra: 'open' } satisfies Record<keyof VulnerabilityFinding, true | 'open'>;
const HOST = { sensorUuid: true, hostname: true, ipAddress: true, uuid: true, lastUpdated: true } satisfies Record<keyof HostRef, true>;
const COMPLIANCE = { failCount: true, passCount: true, errorCount: true } satisfies Record<keyof ComplianceCounts, true>;
const LAYER = { id: true, sha: true, size: true, created: true, createdBy: true, comment: true, tags: true, extra: 'open' } satisfies Record<keyof Layer, true | 'open'>;
const LABEL = { key: true, value: true } satisfies Record<keyof Label, true>;

/**
 * The fields inside the record's object-valued fields, tied to their types by `satisfies`, so a column path is
 * checked segment by segment. 'open' marks where any key may follow: `extra` (fields Qualys adds) and raw shapes.
 */
const NESTED: Partial<Record<string, Record<string, true | 'open'> | 'open'>> = {
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

/** Why a column path does not exist in the record, with a did-you-mean; undefined when it does. */
function pathProblem(path: string): string | undefined {
  const [first = '', second, ...rest] = path.split('.');
  if (!RECORD_KEYS.has(first)) return `"${path}": the record has no field "${first}"${didYouMean(first, [...RECORD_KEYS])}; a path starts with one of ${[...RECORD_KEYS].join(', ')}`;
  if (second === undefined) return undefined;
  const inner = NESTED[first];
  if (inner === undefined) return `"${path}": ${first} is a single value, with no fields inside`;
  if (inner === 'open') return undefined;
  const kind = inner[second];
  if (kind === undefined) return `"${path}": ${first} has no field "${second}"${didYouMean(second, Object.keys(inner))}; it has ${Object.keys(inner).join(', ')}`;
  if (rest.length > 0 && kind !== 'open') return `"${path}": ${first}.${second} is a single value, with no fields inside`;
  return undefined;
}

/**
 * Turns column specs into columns. A path that does not exist in the record is a config error, segment by segment
 * (a typo would otherwise give an empty column in every row of an audit file); everything under `extra.` is
 * accepted, since new Qualys fields land there.
 */
export function buildColumns(specs: readonly ColumnSpec[] | undefined, options: { joinWith: string }): Column[] {
  const list = specs ?? DEFAULT_COLUMNS;
  const unknown: string[] = [];
  const columns = list.map((spec): Column => {
    const path = typeof spec === 'string' ? spec : spec.path;
    const header = typeof spec === 'string' ? undefined : spec.header;
    const first = path.split('.')[0] as string;
    const problem = pathProblem(path);
    if (problem !== undefined) unknown.push(problem);
    const known = KNOWN[path];
    const segments = path.split('.');
    const format = known?.format;
    return {
      key: path,
      header: header ?? known?.header ?? path,
      type: known?.type ?? (DATE_FIELDS.has(first as ImageField) && segments.length === 1 ? 'date' : 'auto'),
      value: format ? (r) => format(r, options.joinWith) : (r) => toCell(walk(r, segments), options.joinWith),
    };
  });
  if (unknown.length > 0) {
    throw new ConfigError(`unknown column${unknown.length > 1 ? 's' : ''} ${unknown.join('; ')}. A column is a dot path into the record (README "The record"); extra.* reaches fields Qualys added`);
  }
  return columns;
}

/** Follows a dot path; through an array it maps over the elements, so repo.tag gives every tag. */
function walk(value: unknown, segments: readonly string[], from = 0): unknown {
  let current = value;
  for (let i = from; i < segments.length; i++) {
    if (current === null || current === undefined) return null;
    if (Array.isArray(current)) return current.map((item) => walk(item, segments, i)).flat();
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

/** For a tabular sink's options schema: reports bad column paths as config errors at load time, with their line. */
export function refineColumns(options: { columns?: ColumnSpec[] | undefined; joinWith: string }, ctx: z.RefinementCtx): void {
  try {
    buildColumns(options.columns, { joinWith: options.joinWith });
  } catch (error) {
    ctx.addIssue({ code: 'custom', path: ['columns'], message: (error as Error).message });
  }
}
