import type { SoftwareRecord } from '@qcs-export/core/sink';
import { type DataStreamName, ecsEnvelope, ecsImage } from './ecs-finding.js';
import { DATASETS } from './options.js';

/**
 * An installed package of an image as an ECS document (`records: software`, `_id` = sha256 of image sha, package name,
 * version and path): ECS `package.name`, `.version`, `.path` (and `.fixed_version` when Qualys names one), the image
 * as finding documents carry it (`container.image.*`, `resource.*`, `qualys_cs.image_id`, `.repositories`), and what
 * Qualys says of the package (lifecycle stage, end of life and support, vulnerability counts, past end of life or
 * support at the run's start) under `qualys_cs.software` by the record's own names.
 */
export function ecsSoftware(row: SoftwareRecord, timestamp: string, runId?: string, dataStream?: DataStreamName): Record<string, unknown> {
  const { softwareKey, sha, imageId, repositories, imageInUse, name, version, packagePath, extra, ...software } = row;
  return {
    ...ecsEnvelope(timestamp, dataStream, { category: 'package', dataset: DATASETS.software, id: softwareKey }),
    package: {
      name,
      version,
      ...(packagePath === null ? {} : { path: packagePath }),
      ...(software.fixVersion === null ? {} : { fixed_version: software.fixVersion }),
    },
    container: { image: ecsImage(repositories, sha) },
    resource: { id: sha, name: repositories[0] ?? sha, type: 'container_image' },
    qualys_cs: {
      run_id: runId,
      software_key: softwareKey,
      image_id: imageId,
      image_in_use: imageInUse,
      repositories,
      software,
      extra,
    },
  };
}
