import { createRandom, hashString, type Random } from '@qcs-export/test-fixtures';
import { weighted } from './containers.js';
import type { RawImage } from './data.js';
import { imageFindings } from './findings.js';

/** The date Qualys sends for a lifecycle date it does not know (1950-01-01), as an epoch-ms string. */
export const UNKNOWN_DATE = '-631152000000';

const DAY = 86_400_000;
const CLEAN = ['tzdata', 'ca-certificates', 'bash', 'coreutils', 'musl', 'apk-tools', 'libgcc', 'pcre2', 'lz4', 'xz-utils', 'dash', 'gzip'];
/** Language packages found by the SCA scan, with where they were found; the rest are OS packages. */
const SCA_PATHS: Record<string, string> = {
  python3: '/usr/lib/python3/dist-packages',
  libxml2: '/usr/local/lib/node_modules/libxmljs2/vendor/libxml2',
};
const STAGES = [
  { stage: null, weight: 40 },
  { stage: 'GA', weight: 35 },
  { stage: 'EOL', weight: 10 },
  { stage: 'EOS', weight: 5 },
  { stage: 'EOL/EOS', weight: 10 },
] as const;

interface Package {
  name: string;
  version: string;
  fixVersion: string | null;
  counts: number[] | null;
}

/** A lifecycle as Qualys sends it: dates as epoch-ms strings, UNKNOWN_DATE when unknown; an EOL stage has an EOL in the past. */
function lifecycle(r: Random, now: number): Record<string, unknown> {
  const stage = weighted(r, STAGES).stage;
  const past = () => String(now - r.int(30, 1500) * DAY);
  const future = () => String(now + r.int(30, 1500) * DAY);
  const ga = stage === null || r.chance(0.3) ? UNKNOWN_DATE : String(now - r.int(400, 4000) * DAY);
  const ended = (s: string) => stage?.includes(s) === true;
  return {
    stage,
    lifeCycleConfidence: stage === null ? null : r.pick(['HIGH', 'MEDIUM', 'LOW']),
    eol: ended('EOL') ? past() : stage === 'GA' && r.chance(0.6) ? future() : UNKNOWN_DATE,
    eos: ended('EOS') ? past() : stage === 'GA' && r.chance(0.4) ? future() : UNKNOWN_DATE,
    ga,
  };
}

/**
 * GET /csapi/v1.3/images/{sha}/software: every package a finding of the image names (by name and version), with its
 * findings counted by severity, plus a few clean packages (some with all-null counts, as Qualys sends them). An image
 * without findings still has its clean packages. Deterministic per sha.
 */
export function softwareAnswer(image: RawImage): Record<string, unknown> {
  const r = createRandom(hashString(image.sha, 0x50f7));
  const now = Number(image.lastVmScanDate ?? image.updated);
  const packages = new Map<string, Package>();
  for (const f of imageFindings(image)) {
    for (const s of f['software'] as Array<{ name: string; version: string; fixVersion: string | null }>) {
      const key = `${s.name} ${s.version}`;
      const p = packages.get(key) ?? { name: s.name, version: s.version, fixVersion: null, counts: [0, 0, 0, 0, 0] };
      p.fixVersion ??= s.fixVersion;
      const counts = p.counts as number[];
      const at = (f['severity'] as number) - 1;
      counts[at] = (counts[at] ?? 0) + 1;
      packages.set(key, p);
    }
  }
  for (let k = r.int(2, 6); k > 0; k--) {
    const name = r.pick(CLEAN);
    const version = `${r.int(0, 9)}.${r.int(0, 20)}.${r.int(0, 9)}`;
    if (![...packages.values()].some((p) => p.name === name))
      packages.set(`${name} ${version}`, { name, version, fixVersion: null, counts: r.chance(0.5) ? null : [0, 0, 0, 0, 0] });
  }
  const data = [...packages.values()].map((p) => ({
    name: p.name,
    version: p.version,
    scanType: SCA_PATHS[p.name] ? 'SCA' : 'OS',
    packagePath: SCA_PATHS[p.name] ?? null,
    fixVersion: p.fixVersion,
    lifecycle: lifecycle(r, now),
    vulnerabilities: Object.fromEntries([1, 2, 3, 4, 5].map((s) => [`severity${s}Count`, p.counts === null ? null : p.counts[s - 1]])),
  }));
  // Packages with at least one finding of each severity.
  const softwareCountBySeverity = Object.fromEntries(
    [1, 2, 3, 4, 5].map((s) => [`severity${s}Count`, [...packages.values()].filter((p) => (p.counts?.[s - 1] ?? 0) > 0).length]),
  );
  return { data, count: data.length, softwareCountBySeverity };
}
