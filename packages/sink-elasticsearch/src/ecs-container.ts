import type { ContainerFindingRecord, ContainerRecord } from '@qcs-export/core/sink';
import { type DataStreamName, ecsEnvelope, ecsFinding, ecsImage } from './ecs-finding.js';
import { DATASETS } from './options.js';

/** What the ECS fields of a container are made from: a container record, or the container of a container finding. */
interface ContainerIdentity {
  sha: string;
  name: string | null;
  imageSha: string | null;
  imageRepositories: readonly string[];
  hostname: string | null;
  hostIp: string | null;
  cluster: string | null;
  namespace: string | null;
  pod: string | null;
  podUid: string | null;
}

/** `{ key: value }` without the keys whose value is null, or undefined when none is left. */
function known<T extends Record<string, unknown>>(fields: T): Partial<T> | undefined {
  const out: Partial<T> = {};
  let any = false;
  for (const [key, value] of Object.entries(fields)) {
    if (value === null || value === undefined) continue;
    (out as Record<string, unknown>)[key] = value;
    any = true;
  }
  return any ? out : undefined;
}

/**
 * The ECS fields of a container: `container.*` (its full id, name and the image it runs), `orchestrator.*` when it
 * runs in Kubernetes (namespace, pod, cluster) and `host.*`. Unknown values are left out rather than written as null,
 * so `exists` tells a container outside Kubernetes from one in it. `container.runtime` is not written: Qualys does not
 * say which runtime runs a container.
 */
export function ecsContainerFields(c: ContainerIdentity): Record<string, unknown> {
  const kubernetes = c.cluster !== null || c.namespace !== null || c.pod !== null || c.podUid !== null;
  const orchestrator = kubernetes
    ? {
        type: 'kubernetes',
        ...known({ namespace: c.namespace }),
        ...(c.cluster === null ? {} : { cluster: { name: c.cluster } }),
        ...(c.pod === null && c.podUid === null ? {} : { resource: { type: 'pod', ...known({ name: c.pod, id: c.podUid }) } }),
      }
    : undefined;
  const host = known({ hostname: c.hostname, ip: c.hostIp === null ? null : [c.hostIp] });
  return {
    container: { id: c.sha, ...known({ name: c.name }), image: ecsImage(c.imageRepositories, c.imageSha) },
    ...(orchestrator ? { orchestrator } : {}),
    ...(host ? { host } : {}),
  };
}

/**
 * A container as an ECS document (`records: containers`, `_id` = its sha): `container.*`, `orchestrator.*` and
 * `host.*` (ecsContainerFields), the container as `resource`, and the normalized record, every field of it, under
 * `qualys_cs.container` by its own names, as the image index and JSON Lines carry them. `@timestamp` is the run's start.
 */
export function ecsContainer(record: ContainerRecord, timestamp: string, runId?: string, dataStream?: DataStreamName): Record<string, unknown> {
  const k8s = record.kubernetes;
  return {
    ...ecsEnvelope(timestamp, dataStream, { category: 'host', dataset: DATASETS.containers, id: record.sha }),
    ...ecsContainerFields({
      sha: record.sha,
      name: record.name,
      imageSha: record.imageSha,
      imageRepositories: record.imageRepositories,
      hostname: record.host?.hostname ?? null,
      hostIp: record.host?.ipAddress ?? null,
      cluster: k8s?.cluster ?? null,
      namespace: k8s?.namespace ?? null,
      pod: k8s?.pod ?? null,
      podUid: k8s?.podUid ?? null,
    }),
    resource: { id: record.sha, name: record.name ?? record.sha, type: 'container' },
    qualys_cs: { run_id: runId, container: record },
  };
}

/**
 * A container finding as an ECS document (`records: container-findings`, `_id` = sha256 of container sha + QID): the
 * finding document of the image it runs (ecsFinding: the vulnerability, its packages, SLA and exemption, as the image's
 * finding has them), with the container as `resource` (so Kibana's findings page lists the container), its
 * `container.*`, `orchestrator.*` and `host.*`, and its own fields under `qualys_cs.container` by the paths a container
 * document has them. `qualys_cs.change` is never written: container findings are not compared with a previous run.
 */
export function ecsContainerFinding(row: ContainerFindingRecord, timestamp: string, runId?: string, dataStream?: DataStreamName): Record<string, unknown> {
  const finding = ecsFinding(row, timestamp, runId, dataStream);
  const ecs = ecsContainerFields({
    sha: row.containerSha,
    name: row.containerName,
    imageSha: row.sha,
    imageRepositories: row.repositories,
    hostname: row.hostname,
    hostIp: row.hostIp,
    cluster: row.cluster,
    namespace: row.namespace,
    pod: row.pod,
    podUid: null,
  });
  return {
    ...finding,
    event: { ...finding.event, dataset: dataStream?.dataset ?? DATASETS['container-findings'] },
    ...ecs,
    resource: { id: row.containerSha, name: row.containerName ?? row.containerSha, type: 'container' },
    qualys_cs: {
      ...finding.qualys_cs,
      container: {
        sha: row.containerSha,
        containerId: row.containerId,
        name: row.containerName,
        state: row.containerState,
        stateChanged: row.containerStateChanged,
        privileged: row.privileged,
        imageSha: row.sha,
        kubernetes: { cluster: row.cluster, namespace: row.namespace, pod: row.pod, controller: row.controller, containerName: row.podContainerName },
        host: { hostname: row.hostname, ipAddress: row.hostIp },
      },
    },
  };
}
