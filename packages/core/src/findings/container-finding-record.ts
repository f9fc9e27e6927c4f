import type { FindingRecord } from './finding-record.js';

/**
 * Where a finding runs: one running container × one finding of the image it runs (grain "container-findings"). The
 * finding's fields are the image finding's, SLA and exemption included, so a container's row and its image's row
 * agree; the container's identity and Kubernetes context come first among the fields it adds.
 */
export interface ContainerFindingRecord extends Omit<FindingRecord, 'change'> {
  /** sha256 of the container sha and the QID: stable across runs, the Elasticsearch `_id`. */
  findingKey: string;
  containerSha: string;
  containerId: string | null;
  containerName: string | null;
  containerState: string | null;
  /** When the container entered its state (started, stopped), as Qualys says. */
  containerStateChanged: string | null;
  privileged: boolean | null;
  cluster: string | null;
  namespace: string | null;
  pod: string | null;
  controller: string | null;
  /** The container's name in its pod spec. */
  podContainerName: string | null;
  hostname: string | null;
  hostIp: string | null;
  /** Container findings are not compared with a previous run; null, so every finding row has the field. */
  change: null;
}
