import type { ContainerOrigin, ContainerRecord, KubernetesContext } from '../container-record.js';
import type { Label } from '../record.js';
import { FieldReader, keyedRecord, toHostRef, toLabel } from './field-reader.js';
import { vulnerabilityCounts } from './normalize-image.js';
import { isPlainObject, toStr } from './values.js';

const KNOWN_CONTAINER_FIELDS: ReadonlySet<string> = new Set([
  'sha',
  'containerId',
  'uuid',
  'name',
  'state',
  'created',
  'updated',
  'stateChanged',
  'imageSha',
  'imageId',
  'imageUuid',
  'imageDigest',
  'host',
  'ipv4',
  'privileged',
  'label',
  'vulnerabilities',
  'lastScanned',
  'cluster',
]);

/**
 * Turns one container as any CS endpoint sends it (the /containers list, the bulk /containers/list, one container's
 * details) into a ContainerRecord. Pure; throws ProtocolError only when the record cannot be identified.
 */
export function normalizeContainer(input: unknown, origin: ContainerOrigin): ContainerRecord {
  const { raw, sha } = keyedRecord(input, 'a container record', origin, 'containerId');
  const r = new FieldReader(raw, KNOWN_CONTAINER_FIELDS);
  const labels = (r.objects('label') ?? []).map(toLabel);
  const cluster = r.object('cluster');
  const state = r.string('state');
  return {
    sha,
    containerId: r.string('containerId'),
    uuid: r.string('uuid'),
    name: r.string('name'),
    state: state === null ? null : state.toUpperCase(),
    created: r.date('created'),
    updated: r.date('updated'),
    stateChanged: r.date('stateChanged'),
    imageSha: r.string('imageSha'),
    imageId: r.string('imageId'),
    imageUuid: r.string('imageUuid'),
    imageDigest: r.string('imageDigest'),
    imageRepositories: [],
    host: toHostRef(r.object('host')),
    ipAddress: r.string('ipv4'),
    privileged: r.bool('privileged'),
    kubernetes: kubernetesOf(cluster, labels),
    labels,
    vulnerabilityCounts: countsOf(raw['vulnerabilities'], r),
    lastScanned: r.date('lastScanned'),
    origin,
    extra: keepCluster(r.extra, cluster),
  };
}

/**
 * The list sends the counts as an object; one container's details wrap the same object in a one-item array (Qualys'
 * "Fetch Container Details" sample); the bulk form sends findings instead, which carry no counts. Anything else is
 * kept in `extra`.
 */
function countsOf(value: unknown, r: FieldReader): ContainerRecord['vulnerabilityCounts'] {
  if (value === null || value === undefined) return null;
  if (isPlainObject(value)) return vulnerabilityCounts(value);
  if (Array.isArray(value) && value.length === 1 && isPlainObject(value[0]) && Object.keys(value[0]).some((k) => /^severity[1-5]Count$/.test(k))) {
    return vulnerabilityCounts(value[0]);
  }
  r.extra['vulnerabilities'] = value;
  return null;
}

const LABEL = {
  namespace: 'io.kubernetes.pod.namespace',
  pod: 'io.kubernetes.pod.name',
  podUid: 'io.kubernetes.pod.uid',
  containerName: 'io.kubernetes.container.name',
} as const;

/**
 * `cluster.k8s.pod` first, as the sensor's Kubernetes view; the runtime's `io.kubernetes.*` labels fill what it
 * leaves out. Null when neither says anything: a container outside Kubernetes.
 */
function kubernetesOf(cluster: Record<string, unknown> | null, labels: readonly Label[]): KubernetesContext | null {
  const label = (key: string) => labels.find((l) => l.key === key)?.value ?? null;
  const k8s = cluster && isPlainObject(cluster['k8s']) ? cluster['k8s'] : null;
  const pod = k8s && isPlainObject(k8s['pod']) ? k8s['pod'] : null;
  const context: KubernetesContext = {
    cluster: cluster ? (toStr(cluster['name']) ?? toStr(cluster['uid'])) : null,
    namespace: (pod && toStr(pod['namespace'])) ?? label(LABEL.namespace),
    pod: (pod && toStr(pod['name'])) ?? label(LABEL.pod),
    podUid: (pod && toStr(pod['uuid'])) ?? label(LABEL.podUid),
    controller: pod ? controllerOf(pod['controller']) : null,
    containerName: label(LABEL.containerName),
  };
  return Object.values(context).every((v) => v === null) ? null : context;
}

/** A controller as a string, or as an object naming its kind and name (`{ type|kind, name }`), as `Kind/name`. */
function controllerOf(value: unknown): string | null {
  if (typeof value === 'string') return value === '' ? null : value;
  if (!isPlainObject(value)) return null;
  const name = toStr(value['name']);
  const kind = toStr(value['type']) ?? toStr(value['kind']);
  return name === null ? kind : kind === null ? name : `${kind}/${name}`;
}

/** The raw `cluster` object stays whole in `extra` (version, type, project…), as Qualys sent it. */
function keepCluster(extra: Record<string, unknown>, cluster: Record<string, unknown> | null): Record<string, unknown> {
  if (cluster !== null) extra['cluster'] = cluster;
  return extra;
}
