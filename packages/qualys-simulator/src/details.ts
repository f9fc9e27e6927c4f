import type { RawImage } from './data.js';
import { createRandom } from '@qcs-export/test-fixtures';
import { bulkFinding, detailsFinding, imageFindings } from './findings.js';

const OS = ['Alpine Linux 3.19.1', 'Debian GNU/Linux 12 (bookworm)', 'Ubuntu 22.04.4 LTS', 'Red Hat Enterprise Linux 9.3', 'Distroless'];
/**
 * Findings per bulk record. The real bulk API sends them all; the simulator sends the first dozen (most severe first),
 * which keeps bulk pages small for the large data sets of the tests and benchmarks, and changes nothing the exporter
 * relies on: bulk findings carry no severity, so they never become counts.
 */
const BULK_FINDINGS = 12;

/**
 * The details/bulk shape of an image (docs/qualys-api.md §2–3): the list fields, `vulnerabilities` as an ARRAY of
 * findings (full objects in the details; the bulk API keeps only qid, result, software and layerSha), layers with `size` as a string, and more.
 * Derived from the list record by a PRNG seeded with its sha, so it never changes for the same image.
 */
export function toDetails(image: RawImage, shape: 'details' | 'bulk' = 'details'): Record<string, unknown> {
  const r = createRandom(parseInt(image.sha.slice(0, 8), 16));
  const all = imageFindings(image);
  const findings = shape === 'details' ? all.map(detailsFinding) : all.slice(0, BULK_FINDINGS).map(bulkFinding);
  const created = Number(image.created);
  const layers = Array.from({ length: r.int(2, 5) }, (_, n) => ({
    size: String(r.int(0, 200_000_000)),
    createdBy: n === 0 ? '/bin/sh -c #(nop) ADD file:abc in / ' : `RUN step-${n}`,
    created: String(created > 0 ? created - (5 - n) * 1000 : 0),
    comment: null,
    id: null,
    sha: r.hex(64),
    tags: null,
    layerNumber: n,
    isBaseLayer: n === 0,
  }));
  const { vulnerabilities: _counts, ...rest } = image;
  return {
    ...rest,
    author: null,
    label: r.chance(0.5)
      ? null
      : [
          { key: 'maintainer', value: 'platform-team@example.com' },
          { key: 'org.opencontainers.image.version', value: `${r.int(1, 9)}.${r.int(0, 9)}` },
        ],
    operatingSystem: r.pick(OS),
    customerUuid: '5f1c5e3a-0000-4000-8000-000000000001',
    dockerVersion: `${r.int(19, 27)}.0.${r.int(0, 9)}`,
    layers,
    vulnerabilities: findings,
  };
}
