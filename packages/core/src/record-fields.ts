import type { ImageRecord } from './record.js';

/** What kind of value a record field holds; the column checks, Excel types and date handling read it from here. */
export type FieldKind = 'string' | 'date' | 'count' | 'number' | 'boolean' | 'strings' | 'object' | 'objects' | 'internal';

interface FieldSpec {
  kind: FieldKind;
  /**
   * The raw Qualys field it is read from, when that is not the same name; false when no raw field of its own holds
   * it (derived counts, the record's origin, `extra`). Every raw name listed is "known": anything else goes to `extra`.
   */
  raw?: string | false;
}

/**
 * Every field of ImageRecord but `software` (which the run adds, never the normalizer, and only for the software
 * grain), in record order: the one list the normalizer, the column checks and the sinks derive
 * theirs from. `satisfies` makes the compiler hold it to record.ts: a field added there and not here (or the
 * reverse) does not build.
 */
export const IMAGE_FIELDS = {
  sha: { kind: 'string' },
  imageId: { kind: 'string' },
  uuid: { kind: 'string' },
  repo: { kind: 'objects' },
  repoDigests: { kind: 'objects' },
  created: { kind: 'date' },
  updated: { kind: 'date' },
  lastUsedDate: { kind: 'date' },
  lastScanned: { kind: 'date' },
  lastVmScanDate: { kind: 'date' },
  lastComplianceScanDate: { kind: 'date' },
  lastAssessed: { kind: 'date' },
  firstFound: { kind: 'date' },
  riskScoreCalculatedDate: { kind: 'date' },
  criticalityUpdated: { kind: 'date' },
  sbomLayerProcessingTimestamp: { kind: 'date' },
  baseImageProcessingTimestamp: { kind: 'date' },
  size: { kind: 'count' },
  operatingSystem: { kind: 'string' },
  author: { kind: 'string' },
  dockerVersion: { kind: 'string' },
  customerUuid: { kind: 'string' },
  // Derived from the raw `vulnerabilities` (a counts object on /images, findings elsewhere).
  vulnerabilityCounts: { kind: 'object', raw: false },
  vulnerabilities: { kind: 'objects' },
  riskScore: { kind: 'number' },
  maxQdsScore: { kind: 'number' },
  qdsSeverity: { kind: 'string' },
  criticality: { kind: 'number' },
  associatedContainersCount: { kind: 'count' },
  associatedHostsCount: { kind: 'count' },
  childImagesCount: { kind: 'count' },
  source: { kind: 'strings' },
  scanTypes: { kind: 'strings' },
  scanStatus: { kind: 'string' },
  scanErrorCode: { kind: 'string' },
  scanErrorMessage: { kind: 'string' },
  isDockerHubOfficial: { kind: 'boolean' },
  isInstrumented: { kind: 'boolean' },
  isContinuouslyAssessed: { kind: 'boolean' },
  instrumentedFrom: { kind: 'string' },
  instrumentationState: { kind: 'string' },
  lastFoundOnHost: { kind: 'object' },
  compliance: { kind: 'object' },
  registryUuid: { kind: 'strings' },
  baseImage: { kind: 'string' },
  labels: { kind: 'objects', raw: 'label' },
  layers: { kind: 'objects' },
  origin: { kind: 'internal', raw: false },
  extra: { kind: 'internal', raw: false },
} as const satisfies Record<Exclude<keyof ImageRecord, 'software'>, FieldSpec>;

export type ImageField = keyof typeof IMAGE_FIELDS;

/** The record's keys, in record order. */
export const IMAGE_FIELD_NAMES: readonly ImageField[] = Object.keys(IMAGE_FIELDS) as ImageField[];

/** The fields holding an ISO-8601 date. */
export const DATE_FIELDS: ReadonlySet<ImageField> = new Set(IMAGE_FIELD_NAMES.filter((k) => IMAGE_FIELDS[k].kind === 'date'));

/** Raw field names the normalizer maps; every other raw field goes to `extra` untouched. */
export const KNOWN_IMAGE_FIELDS: ReadonlySet<string> = new Set(
  IMAGE_FIELD_NAMES.flatMap((k) => {
    const raw = (IMAGE_FIELDS[k] as FieldSpec).raw;
    return raw === false ? [] : [raw ?? k];
  }),
);
