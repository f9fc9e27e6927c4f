import type { HostRef, ImageRecord, IsoDate, Label, VulnerabilityCounts } from './record.js';

/** Where a container record was read: the /containers list, its bulk form, or one container's details. */
export type ContainerOrigin = 'containers' | 'containers/list' | 'containers/details';

/**
 * Where a container runs in Kubernetes, from the record's `cluster` (`cluster.k8s.pod`) or, when Qualys sent none,
 * from the runtime's `io.kubernetes.*` labels; each field null when neither says.
 */
export interface KubernetesContext {
  cluster: string | null;
  namespace: string | null;
  pod: string | null;
  podUid: string | null;
  /** The workload that owns the pod (a Deployment's ReplicaSet, a DaemonSet…), as `Kind/name` when both are known. */
  controller: string | null;
  /** The container's name in the pod spec. */
  containerName: string | null;
}

/**
 * One container as every sink receives it (issue 21): identity, state and its dates, the image it runs, the host and
 * the Kubernetes context. Unknown fields are kept in `extra`, as for images.
 */
export interface ContainerRecord {
  /** The container's full id: the key of every output. */
  sha: string;
  /** The short id Docker shows (the first 12 hex digits). */
  containerId: string | null;
  uuid: string | null;
  name: string | null;
  /** RUNNING, STOPPED, DELETED, … as Qualys sends it (uppercase). */
  state: string | null;
  created: IsoDate | null;
  updated: IsoDate | null;
  stateChanged: IsoDate | null;
  imageSha: string | null;
  imageId: string | null;
  imageUuid: string | null;
  imageDigest: string | null;
  /**
   * registry/repository:tag of each tag of the image it runs, as the run learned them from that image's details
   * (with source.vulnerabilities); empty when the run did not look the image up.
   */
  imageRepositories: string[];
  host: HostRef | null;
  /** The container's own address (`ipv4`). */
  ipAddress: string | null;
  privileged: boolean | null;
  kubernetes: KubernetesContext | null;
  labels: Label[];
  /** Qualys' severity counts for the container; null when it sent none. */
  vulnerabilityCounts: VulnerabilityCounts | null;
  lastScanned: IsoDate | null;
  origin: ContainerOrigin;
  extra: Record<string, unknown>;
}

/**
 * A container as a run hands it to its sinks: the record, and the image it runs with that image's findings when the
 * run looked it up (once per image, however many containers run it); null when it did not, or the image is gone.
 */
export interface RunContainer {
  container: ContainerRecord;
  image: ImageRecord | null;
}
