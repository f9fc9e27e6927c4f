import { createRandom, hashString } from '@qcs-export/test-fixtures';
import type { RawContainer } from './containers.js';
import type { RawImage } from './data.js';
import { imageFindings } from './findings.js';

/** Findings per bulk container, as per bulk image (see details.ts): the most severe dozen keep bulk pages small. */
const BULK_FINDINGS = 12;

/**
 * A container as GET /csapi/v1.3/containers/list sends it: the list fields, with `vulnerabilities` the ARRAY of its
 * image's findings cut to `{ qid, result, software }` (no counts; [] when the image has none or is unknown).
 */
export function containerBulk(container: RawContainer, image: RawImage | undefined): Record<string, unknown> {
  const findings = image ? imageFindings(image).slice(0, BULK_FINDINGS) : [];
  return { ...container, vulnerabilities: findings.map((f) => ({ qid: f['qid'], result: f['result'], software: f['software'] })) };
}

/**
 * GET /csapi/v1.3/containers/{sha}, with the quirks of Qualys' "Fetch Container Details" sample: `source` a string,
 * `command` the string "null", `vulnerabilities` a ONE-ITEM ARRAY holding the counts object (null for an image never
 * scanned), `hostArchitecture` an array, `isVulnPropagated` a boolean and `vulnPropagationDate` an epoch-ms string.
 * Derived from the record by a PRNG seeded with its sha, so it never changes for the same container.
 */
export function containerDetails(container: RawContainer): Record<string, unknown> {
  const r = createRandom(hashString(container.sha, 0xde7a11));
  const propagated = r.chance(0.3);
  return {
    ...container,
    source: container.cluster ? 'CLUSTER' : 'GENERAL',
    command: 'null',
    arguments: null,
    isRoot: r.chance(0.4),
    path: r.pick(['/docker-entrypoint.sh', '/usr/local/bin/app', '/bin/sh', '/app/server']),
    hostArchitecture: [r.chance(0.8) ? 'x86_64' : 'aarch64'],
    isVulnPropagated: propagated,
    vulnPropagationDate: propagated ? String(Number(container.updated) - r.int(0, 86_400_000)) : null,
    customerUuid: '5f1c5e3a-0000-4000-8000-000000000001',
    vulnerabilities: container.vulnerabilities === null ? null : [{ ...container.vulnerabilities }],
  };
}
