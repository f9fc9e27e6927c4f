import type { ContainerRecord } from '@qcs-export/core/sink';
import { FINDING_MAPPING_PROBES, FINDING_PROPERTIES } from './finding-mapping.js';
import { boolean, date, keyword, object, opaque, searchable, VULNERABILITY_COUNTS } from './mapping-types.js';

/**
 * The mappings of container documents (`records: containers`) and container finding documents
 * (`records: container-findings`), see ecs-container.ts: ECS types for the ECS fields, the normalized container record
 * under `qualys_cs.container`, `dynamic: false` for the rest.
 */

const KUBERNETES = { cluster: keyword, namespace: keyword, pod: keyword, podUid: keyword, controller: keyword, containerName: keyword };
const HOST = { sensorUuid: keyword, hostname: keyword, ipAddress: keyword, uuid: keyword, lastUpdated: date };

// `satisfies` holds the mapping to container-record.ts: a record field without a mapping (or a mapping of no field) does not build.
/** The normalized container record, as `qualys_cs.container` of a container document holds it. */
export const CONTAINER_RECORD_PROPERTIES = {
  sha: keyword,
  containerId: keyword,
  uuid: keyword,
  name: searchable,
  state: keyword,
  created: date,
  updated: date,
  stateChanged: date,
  imageSha: keyword,
  imageId: keyword,
  imageUuid: keyword,
  imageDigest: keyword,
  imageRepositories: searchable,
  host: object(HOST),
  // The container's own address, as Qualys sends it: a keyword, so an odd value is kept rather than refused.
  ipAddress: keyword,
  privileged: boolean,
  kubernetes: object(KUBERNETES),
  labels: object({ key: keyword, value: searchable }),
  vulnerabilityCounts: VULNERABILITY_COUNTS,
  lastScanned: date,
  origin: keyword,
  extra: opaque,
} satisfies Record<keyof ContainerRecord, unknown>;

/**
 * ECS fields of a container, in container documents and container finding documents alike. `host.ip` is an ECS ip;
 * a value that is not an address is kept in _source and left unindexed (`ignore_malformed`) rather than refusing
 * the document.
 */
export const ECS_CONTAINER_PROPERTIES = {
  container: object({ id: keyword, name: keyword, image: object({ name: keyword, tag: keyword, hash: object({ all: keyword }) }) }),
  orchestrator: object({
    type: keyword,
    namespace: keyword,
    cluster: object({ name: keyword }),
    resource: object({ id: keyword, name: keyword, type: keyword }),
  }),
  host: object({ hostname: keyword, ip: { type: 'ip', ignore_malformed: true } }),
};

export const CONTAINER_PROPERTIES = {
  '@timestamp': date,
  ecs: object({ version: keyword }),
  data_stream: FINDING_PROPERTIES.data_stream,
  event: object({ kind: keyword, category: keyword, type: keyword, module: keyword, dataset: keyword, id: keyword }),
  observer: FINDING_PROPERTIES.observer,
  ...ECS_CONTAINER_PROPERTIES,
  resource: FINDING_PROPERTIES.resource,
  qualys_cs: object({
    // The run that wrote the document: removeUnseen removes the containers a complete run did not see by it.
    run_id: keyword,
    container: object(CONTAINER_RECORD_PROPERTIES),
  }),
};

/** What a container finding adds to the finding's `qualys_cs`: the container's fields, by the same paths as in a container document. */
export const CONTAINER_FINDING_EXTRA_PROPERTIES = {
  sha: CONTAINER_RECORD_PROPERTIES.sha,
  containerId: CONTAINER_RECORD_PROPERTIES.containerId,
  name: CONTAINER_RECORD_PROPERTIES.name,
  state: CONTAINER_RECORD_PROPERTIES.state,
  stateChanged: CONTAINER_RECORD_PROPERTIES.stateChanged,
  privileged: CONTAINER_RECORD_PROPERTIES.privileged,
  imageSha: CONTAINER_RECORD_PROPERTIES.imageSha,
  kubernetes: object({
    cluster: KUBERNETES.cluster,
    namespace: KUBERNETES.namespace,
    pod: KUBERNETES.pod,
    controller: KUBERNETES.controller,
    containerName: KUBERNETES.containerName,
  }),
  host: object({ hostname: HOST.hostname, ipAddress: HOST.ipAddress }),
};

/** A finding document's mapping, with the container's ECS fields and `qualys_cs.container`. */
export const CONTAINER_FINDING_PROPERTIES = {
  ...FINDING_PROPERTIES,
  container: object({ ...ECS_CONTAINER_PROPERTIES.container.properties }),
  // A container finding does not know the pod's UID (ContainerFindingRecord has none): no orchestrator.resource.id.
  orchestrator: object({
    ...ECS_CONTAINER_PROPERTIES.orchestrator.properties,
    resource: object({ name: keyword, type: keyword }),
  }),
  host: ECS_CONTAINER_PROPERTIES.host,
  qualys_cs: object({ ...FINDING_PROPERTIES.qualys_cs.properties, container: object(CONTAINER_FINDING_EXTRA_PROPERTIES) }),
};

/** Fields a containers index must map so, for the export to be searchable as documented. */
export const CONTAINER_MAPPING_PROBES: ReadonlyArray<readonly [path: string, type: string]> = [
  ['container.id', 'keyword'],
  ['orchestrator.namespace', 'keyword'],
  ['qualys_cs.run_id', 'keyword'],
  ['qualys_cs.container.stateChanged', 'date'],
  ['qualys_cs.container.vulnerabilityCounts.total', 'integer'],
];

/** A container findings index: a findings index's fields, and the container's. */
export const CONTAINER_FINDING_MAPPING_PROBES: ReadonlyArray<readonly [path: string, type: string]> = [
  ...FINDING_MAPPING_PROBES,
  ['container.id', 'keyword'],
  ['orchestrator.namespace', 'keyword'],
  ['qualys_cs.container.sha', 'keyword'],
];
