import type { ImageRecord, RecordGrain } from '@qcs-export/core/sink';
import { CONTAINER_FINDING_MAPPING_PROBES, CONTAINER_FINDING_PROPERTIES, CONTAINER_MAPPING_PROBES, CONTAINER_PROPERTIES } from './container-mapping.js';
import { FINDING_MAPPING_PROBES, FINDING_PROPERTIES } from './finding-mapping.js';
import { SOFTWARE_MAPPING_PROBES, SOFTWARE_PROPERTIES } from './software-mapping.js';
import { boolean, date, float, integer, keyword, long, object, opaque, searchable, text, VULNERABILITY_COUNTS } from './mapping-types.js';

/**
 * The index template for image documents. Every field of the record is mapped explicitly, so a date is a date
 * from the first document on and a later document can never change a field's type by arriving first.
 */
// `satisfies` holds the mapping to record.ts: a record field without a mapping (or a mapping of no field) does not build.
export const IMAGE_PROPERTIES = {
  '@timestamp': date,
  // The run that wrote the document (its manifest's runId): what removeUnseen tells unseen documents by.
  runId: keyword,
  sha: keyword,
  imageId: keyword,
  uuid: keyword,
  repo: object({ registry: keyword, repository: searchable, tag: keyword }),
  repoDigests: object({ registry: keyword, repository: keyword, digest: keyword }),
  created: date,
  updated: date,
  lastUsedDate: date,
  lastScanned: date,
  lastVmScanDate: date,
  lastComplianceScanDate: date,
  lastAssessed: date,
  firstFound: date,
  riskScoreCalculatedDate: date,
  criticalityUpdated: date,
  sbomLayerProcessingTimestamp: date,
  baseImageProcessingTimestamp: date,
  size: long,
  operatingSystem: searchable,
  author: searchable,
  dockerVersion: keyword,
  customerUuid: keyword,
  vulnerabilityCounts: VULNERABILITY_COUNTS,
  vulnerabilities: object({
    qid: long,
    severity: integer,
    title: { type: 'text', fields: { keyword } },
    result: text,
    typeDetected: keyword,
    firstFound: date,
    lastFound: date,
    layerSha: keyword,
    software: opaque,
    cveIds: keyword,
    patchAvailable: boolean,
    customerSeverity: integer,
    qdsScore: float,
    cvss3BaseScore: float,
    published: date,
    isExempted: boolean,
    exception: object({ name: keyword, reason: keyword, explanation: text, startsAt: date, endsAt: date }),
    threatIntel: keyword,
    extra: opaque,
  }),
  // Only a software run fetches packages, and its documents are one per package: on an image document they are kept, not indexed.
  software: opaque,
  riskScore: float,
  maxQdsScore: float,
  qdsSeverity: keyword,
  criticality: integer,
  associatedContainersCount: long,
  associatedHostsCount: long,
  childImagesCount: long,
  source: keyword,
  scanTypes: keyword,
  scanStatus: keyword,
  scanErrorCode: keyword,
  scanErrorMessage: { type: 'text', fields: { keyword } },
  isDockerHubOfficial: boolean,
  isInstrumented: boolean,
  isContinuouslyAssessed: boolean,
  instrumentedFrom: keyword,
  instrumentationState: keyword,
  lastFoundOnHost: object({ sensorUuid: keyword, hostname: keyword, ipAddress: keyword, uuid: keyword, lastUpdated: date }),
  compliance: object({ failCount: integer, passCount: integer, errorCount: integer }),
  registryUuid: keyword,
  baseImage: keyword,
  labels: object({ key: keyword, value: searchable }),
  layers: object({ id: keyword, sha: keyword, size: long, created: date, createdBy: text, comment: text, tags: keyword, extra: opaque }),
  origin: keyword,
  extra: opaque,
} satisfies Record<keyof ImageRecord | '@timestamp' | 'runId', unknown>;

/**
 * Above that of Elasticsearch's built-in logs and metrics templates (100). Another template of higher priority
 * that matches the index would win; the sink checks for one at open (see precedence.ts).
 */
export const TEMPLATE_PRIORITY = 300;

/** The mapping of a grain's documents: the image record, or the ECS documents of the other grains. */
export function propertiesOf(records: RecordGrain): Record<string, unknown> {
  switch (records) {
    case 'images':
      return IMAGE_PROPERTIES;
    case 'findings':
    case 'packages':
      return FINDING_PROPERTIES;
    case 'software':
      return SOFTWARE_PROPERTIES;
    case 'containers':
      return CONTAINER_PROPERTIES;
    case 'container-findings':
      return CONTAINER_FINDING_PROPERTIES;
    default:
      return unknownGrain(records);
  }
}

/** The exhaustiveness check of a switch over the grains: a grain added to core without a case here does not build. */
export function unknownGrain(records: never): never {
  throw new Error(`the elasticsearch sink does not know records: ${String(records)}`);
}

/**
 * The template body, for the documents of a grain (see propertiesOf). `dynamic: false` keeps any field the model does
 * not know in _source without guessing a type for it.
 */
export function indexTemplate(index: string, options: { dataStream: boolean; toolVersion: string; records: RecordGrain; kibana?: boolean }) {
  return {
    // With kibana: true the export writes through an alias; the template maps the versioned indices behind it.
    index_patterns: [options.kibana ? `${index}-v*` : index],
    priority: TEMPLATE_PRIORITY,
    ...(options.dataStream ? { data_stream: {} } : {}),
    template: { mappings: { dynamic: false, properties: propertiesOf(options.records) } },
    _meta: { managed_by: 'qcs-export', version: options.toolVersion, records: options.records },
  };
}

/** The image template: kept for callers that know only images. */
export const imageTemplate = (index: string, options: { dataStream: boolean; toolVersion: string }) => indexTemplate(index, { ...options, records: 'images' });

/** Fields whose mapped type an existing index must have for the export to be searchable as documented. */
export const MAPPING_PROBES: ReadonlyArray<readonly [path: string, type: string]> = [
  ['sha', 'keyword'],
  ['created', 'date'],
  ['lastScanned', 'date'],
  ['vulnerabilityCounts.total', 'integer'],
];

/** The probed fields of a grain's mapping: an existing index that maps them otherwise was made for other documents. */
export function mappingProbes(records: RecordGrain): ReadonlyArray<readonly [path: string, type: string]> {
  switch (records) {
    case 'images':
      return MAPPING_PROBES;
    case 'findings':
    case 'packages':
      return FINDING_MAPPING_PROBES;
    case 'software':
      return SOFTWARE_MAPPING_PROBES;
    case 'containers':
      return CONTAINER_MAPPING_PROBES;
    case 'container-findings':
      return CONTAINER_FINDING_MAPPING_PROBES;
    default:
      return unknownGrain(records);
  }
}
