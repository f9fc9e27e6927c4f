import { countColumn, dateColumn, joined, type KnownColumn, type RecordShape } from '../columns/columns.js';
import type { ContainerRecord, KubernetesContext } from '../container-record.js';
import type { ContainerFindingRecord } from '../findings/container-finding-record.js';
import type { FindingRecord } from '../findings/finding-record.js';
import type { HostRef, Label, VulnerabilityCounts } from '../record.js';
import { FINDING_SHAPE } from './finding-columns.js';

/** Every field of ContainerRecord and whether it holds a date, held to the type by `satisfies`. */
const CONTAINER_FIELDS = {
  sha: false,
  containerId: false,
  uuid: false,
  name: false,
  state: false,
  created: true,
  updated: true,
  stateChanged: true,
  imageSha: false,
  imageId: false,
  imageUuid: false,
  imageDigest: false,
  imageRepositories: false,
  host: false,
  ipAddress: false,
  privileged: false,
  kubernetes: false,
  labels: false,
  vulnerabilityCounts: false,
  lastScanned: true,
  origin: false,
  extra: false,
} as const satisfies Record<keyof ContainerRecord, boolean>;

const KUBERNETES = { cluster: true, namespace: true, pod: true, podUid: true, controller: true, containerName: true } satisfies Record<
  keyof KubernetesContext,
  true
>;
const HOST = { sensorUuid: true, hostname: true, ipAddress: true, uuid: true, lastUpdated: true } satisfies Record<keyof HostRef, true>;
const COUNTS = { severity1Count: true, severity2Count: true, severity3Count: true, severity4Count: true, severity5Count: true, total: true } satisfies Record<
  keyof VulnerabilityCounts,
  true
>;
const LABEL = { key: true, value: true } satisfies Record<keyof Label, true>;

const text = (header: string): KnownColumn<ContainerRecord> => ({ header, type: 'string' });
const count = countColumn<ContainerRecord>;
const date = dateColumn<ContainerRecord>;

const KNOWN: Record<string, KnownColumn<ContainerRecord>> = {
  sha: text('Container SHA'),
  containerId: text('Container ID'),
  uuid: text('Qualys UUID'),
  name: text('Container'),
  state: text('State'),
  created: date('Created'),
  updated: date('Updated'),
  stateChanged: date('State Changed'),
  imageSha: text('Image SHA'),
  imageId: text('Image ID'),
  imageDigest: text('Image Digest'),
  imageRepositories: text('Image'),
  'host.hostname': text('Host'),
  'host.ipAddress': text('Host IP'),
  ipAddress: text('Container IP'),
  privileged: { header: 'Privileged', type: 'boolean' },
  'kubernetes.cluster': text('Cluster'),
  'kubernetes.namespace': text('Namespace'),
  'kubernetes.pod': text('Pod'),
  'kubernetes.controller': text('Controller'),
  'kubernetes.containerName': text('Pod Container'),
  labels: {
    header: 'Labels',
    type: 'string',
    format: (r, j) =>
      joined(
        r.labels.map((l) => (l.value === null ? l.key : `${l.key}=${l.value}`)),
        j,
      ),
  },
  'vulnerabilityCounts.severity1Count': count('Severity 1 INFO'),
  'vulnerabilityCounts.severity2Count': count('Severity 2 LOW'),
  'vulnerabilityCounts.severity3Count': count('Severity 3 MEDIUM'),
  'vulnerabilityCounts.severity4Count': count('Severity 4 HIGH'),
  'vulnerabilityCounts.severity5Count': count('Severity 5 CRITICAL'),
  'vulnerabilityCounts.total': count('Vulnerabilities (total)'),
  lastScanned: date('Last Scanned'),
};

/** What a platform team reads first: which container, where it runs, what it runs, how bad; the long ids last. */
const CONTAINER_DEFAULTS = [
  'name',
  'state',
  'kubernetes.cluster',
  'kubernetes.namespace',
  'kubernetes.pod',
  'imageRepositories',
  'vulnerabilityCounts.severity5Count',
  'vulnerabilityCounts.severity4Count',
  'vulnerabilityCounts.severity3Count',
  'vulnerabilityCounts.severity2Count',
  'vulnerabilityCounts.severity1Count',
  'vulnerabilityCounts.total',
  'privileged',
  'host.hostname',
  'host.ipAddress',
  'kubernetes.controller',
  'kubernetes.containerName',
  'created',
  'stateChanged',
  'lastScanned',
  'containerId',
  'imageId',
  'sha',
  'imageSha',
];

/** Rows of the "containers" grain: one per container. */
export const CONTAINER_SHAPE: RecordShape<ContainerRecord> = {
  noun: 'a container',
  fields: new Set(Object.keys(CONTAINER_FIELDS)),
  dateFields: new Set(
    Object.entries(CONTAINER_FIELDS)
      .filter(([, isDate]) => isDate)
      .map(([k]) => k),
  ),
  nested: { kubernetes: KUBERNETES, host: HOST, vulnerabilityCounts: COUNTS, labels: LABEL, extra: 'open' },
  known: KNOWN,
  defaults: CONTAINER_DEFAULTS,
};

/** The fields a container finding adds to an image finding, and whether each holds a date. */
const CONTAINER_FINDING_FIELDS = {
  containerSha: false,
  containerId: false,
  containerName: false,
  containerState: false,
  containerStateChanged: true,
  privileged: false,
  cluster: false,
  namespace: false,
  pod: false,
  controller: false,
  podContainerName: false,
  hostname: false,
  hostIp: false,
} as const satisfies Record<Exclude<keyof ContainerFindingRecord, keyof FindingRecord>, boolean>;

const findingText = (header: string): KnownColumn<ContainerFindingRecord> => ({ header, type: 'string' });

const CONTAINER_FINDING_KNOWN: Record<string, KnownColumn<ContainerFindingRecord>> = {
  ...(FINDING_SHAPE.known as Record<string, KnownColumn<ContainerFindingRecord>>),
  findingKey: findingText('Container Finding Key'),
  containerSha: findingText('Container SHA'),
  containerId: findingText('Container ID'),
  containerName: findingText('Container'),
  containerState: findingText('State'),
  containerStateChanged: dateColumn<ContainerFindingRecord>('State Changed'),
  privileged: { header: 'Privileged', type: 'boolean' },
  cluster: findingText('Cluster'),
  namespace: findingText('Namespace'),
  pod: findingText('Pod'),
  controller: findingText('Controller'),
  podContainerName: findingText('Pod Container'),
  hostname: findingText('Host'),
  hostIp: findingText('Host IP'),
  repositories: findingText('Image'),
};

/**
 * "Which running containers, in which namespace, carry which unpatched critical findings, and since when": the
 * container and where it runs, then the finding as the findings grain shows it.
 */
const CONTAINER_FINDING_DEFAULTS = [
  'containerName',
  'namespace',
  'pod',
  'cluster',
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
  'cveIds',
  'containerState',
  'hostname',
  'controller',
  'exceptionReason',
  'exceptionEndsAt',
  'fixAvailable',
  'containerId',
  'containerSha',
  'sha',
  'findingKey',
];

/** Rows of the "container-findings" grain: one per container × finding of the image it runs. */
export const CONTAINER_FINDING_SHAPE: RecordShape<ContainerFindingRecord> = {
  noun: 'a container finding',
  fields: new Set([...FINDING_SHAPE.fields, ...Object.keys(CONTAINER_FINDING_FIELDS)]),
  dateFields: new Set([
    ...FINDING_SHAPE.dateFields,
    ...Object.entries(CONTAINER_FINDING_FIELDS)
      .filter(([, isDate]) => isDate)
      .map(([k]) => k),
  ]),
  nested: FINDING_SHAPE.nested,
  known: CONTAINER_FINDING_KNOWN,
  defaults: CONTAINER_FINDING_DEFAULTS,
};
