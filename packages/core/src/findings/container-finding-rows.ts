import type { RunContainer } from '../container-record.js';
import type { ContainerFindingRecord } from './container-finding-record.js';
import { findingKey, findingRows, type FindingRowOptions } from './finding-rows.js';

/**
 * The rows of one container at the "container-findings" grain: one per finding of the image it runs, with the
 * container's identity and Kubernetes context. A container whose image the run did not look up (or that is gone)
 * gives none. The image's finding rows are built once per call, so a batch of containers of one image shares them.
 */
export function containerFindingRows(items: readonly RunContainer[], options: Omit<FindingRowOptions, 'changeOf'>): ContainerFindingRecord[] {
  const byImage = new Map<string, ReturnType<typeof findingRows>>();
  const rows: ContainerFindingRecord[] = [];
  for (const { container: c, image } of items) {
    if (image === null) continue;
    let findings = byImage.get(image.sha);
    if (findings === undefined) {
      findings = findingRows(image, 'findings', options);
      byImage.set(image.sha, findings);
    }
    const k8s = c.kubernetes;
    for (const f of findings) {
      rows.push({
        ...f,
        findingKey: findingKey(c.sha, f.qid),
        containerSha: c.sha,
        containerId: c.containerId,
        containerName: c.name,
        containerState: c.state,
        containerStateChanged: c.stateChanged,
        privileged: c.privileged,
        cluster: k8s?.cluster ?? null,
        namespace: k8s?.namespace ?? null,
        pod: k8s?.pod ?? null,
        controller: k8s?.controller ?? null,
        podContainerName: k8s?.containerName ?? null,
        hostname: c.host?.hostname ?? null,
        hostIp: c.host?.ipAddress ?? null,
        change: null,
      });
    }
  }
  return rows;
}
