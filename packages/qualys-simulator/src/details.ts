import type { RawImage } from './data.js';
import { createRandom } from '@qcs-export/test-fixtures';

const OS = ['Alpine Linux 3.19.1', 'Debian GNU/Linux 12 (bookworm)', 'Ubuntu 22.04.4 LTS', 'Red Hat Enterprise Linux 9.3', 'Distroless'];
const PACKAGES = ['openssl', 'libc6', 'zlib', 'busybox', 'curl', 'libxml2', 'python3', 'glibc', 'ncurses', 'expat'];

/**
 * The details/bulk shape of an image (docs/qualys-api.md §2–3): the list fields, `vulnerabilities` as an ARRAY of
 * findings (the bulk API keeps only qid, result and software), layers with `size` as a string, and more.
 * Derived from the list record by a PRNG seeded with its sha, so it never changes for the same image.
 */
export function toDetails(image: RawImage): Record<string, unknown> {
  const r = createRandom(parseInt(image.sha.slice(0, 8), 16));
  const counts = image.vulnerabilities;
  const total = counts ? Object.values(counts).reduce<number>((a, b) => a + (b ?? 0), 0) : 0;
  const findings = Array.from({ length: Math.min(total, 12) }, () => {
    const pkg = r.pick(PACKAGES);
    const installed = `${r.int(1, 3)}.${r.int(0, 9)}.${r.int(0, 20)}`;
    const fixed = `${installed.split('.')[0]}.${r.int(0, 9)}.${r.int(21, 40)}`;
    return {
      qid: r.int(150_000, 380_000),
      result: `#table cols="3"\nPackage Installed_Version Required_Version\n${pkg} ${installed} ${fixed}`,
      software: [{ name: pkg, version: installed, fixVersion: fixed }],
    };
  });
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
    label: r.chance(0.5) ? null : [{ key: 'maintainer', value: 'platform-team@example.com' }, { key: 'org.opencontainers.image.version', value: `${r.int(1, 9)}.${r.int(0, 9)}` }],
    operatingSystem: r.pick(OS),
    customerUuid: '5f1c5e3a-0000-4000-8000-000000000001',
    dockerVersion: `${r.int(19, 27)}.0.${r.int(0, 9)}`,
    layers,
    vulnerabilities: findings,
  };
}
