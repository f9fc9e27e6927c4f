import type { SoftwareRecord } from '@qcs-export/core/sink';
import { FINDING_PROPERTIES } from './finding-mapping.js';
import { boolean, date, keyword, object, VULNERABILITY_COUNTS } from './mapping-types.js';

/**
 * The mapping of software documents (`records: software`, see ecs-software.ts): one per image × installed package,
 * ECS `package.*`, the image as finding documents carry it, what Qualys says of the package under `qualys_cs.software`.
 */

/** The record's fields that ECS and the image identity do not take, by their own names (see ecsSoftware). */
export type SoftwareOwnField = Exclude<
  keyof SoftwareRecord,
  'softwareKey' | 'sha' | 'imageId' | 'repositories' | 'imageInUse' | 'name' | 'version' | 'packagePath' | 'extra'
>;

// `satisfies` holds the mapping to software-record.ts: a new field of the record does not build until it is mapped here.
export const SOFTWARE_RECORD_PROPERTIES = {
  fixVersion: keyword,
  scanType: keyword,
  lifecycleStage: keyword,
  lifecycleConfidence: keyword,
  endOfLife: date,
  endOfSupport: date,
  generalAvailability: date,
  pastEndOfLife: boolean,
  pastEndOfSupport: boolean,
  vulnerabilityCounts: VULNERABILITY_COUNTS,
} satisfies Record<SoftwareOwnField, unknown>;

const findingQualys = FINDING_PROPERTIES.qualys_cs.properties as Record<string, unknown>;

export const SOFTWARE_PROPERTIES = {
  '@timestamp': date,
  ecs: FINDING_PROPERTIES.ecs,
  data_stream: FINDING_PROPERTIES.data_stream,
  event: FINDING_PROPERTIES.event,
  observer: FINDING_PROPERTIES.observer,
  package: object({ name: keyword, version: keyword, path: keyword, fixed_version: keyword }),
  container: FINDING_PROPERTIES.container,
  resource: FINDING_PROPERTIES.resource,
  qualys_cs: object({
    run_id: keyword,
    software_key: keyword,
    image_id: findingQualys['image_id'],
    image_in_use: findingQualys['image_in_use'],
    repositories: findingQualys['repositories'],
    software: object(SOFTWARE_RECORD_PROPERTIES),
    extra: { type: 'object', enabled: false },
  }),
};

/** Fields a software index must map so, for the export to be searchable as documented. */
export const SOFTWARE_MAPPING_PROBES: ReadonlyArray<readonly [path: string, type: string]> = [
  ['package.name', 'keyword'],
  ['resource.id', 'keyword'],
  ['qualys_cs.software_key', 'keyword'],
  ['qualys_cs.software.endOfLife', 'date'],
  ['qualys_cs.software.pastEndOfLife', 'boolean'],
];
