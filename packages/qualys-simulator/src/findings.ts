import { createRandom } from '@qcs-export/test-fixtures';
import type { RawImage } from './data.js';

const PACKAGES = ['openssl', 'libc6', 'zlib', 'busybox', 'curl', 'libxml2', 'python3', 'glibc', 'ncurses', 'expat', 'libssl3', 'sqlite3'];
const TITLES = ['Buffer overflow in', 'Denial of service in', 'Use-after-free in', 'Information disclosure in', 'Privilege escalation in'];
const THREATS = ['activeAttacks', 'publicExploit', 'easyExploit', 'exploitKit', 'malware', 'highLateralMovement', 'denialOfService', 'zeroDay', 'noPatch'];
const DAY = 86_400_000;

/**
 * The full findings of an image, as GET /csapi/v1.3/images/{sha}/vuln gives them: as many of each severity as the
 * list's counts say, so the two never disagree. Deterministic per sha. First-found dates spread over two years
 * before the last scan, so SLAs are both met and breached; some packages have a fix version and some do not.
 */
export function imageFindings(image: RawImage): Array<Record<string, unknown>> {
  const r = createRandom(parseInt(image.sha.slice(8, 16), 16));
  const counts = image.vulnerabilities ?? {};
  const lastFound = Number(image.lastVmScanDate ?? image.updated);
  const qids = new Set<number>();
  const findings: Array<Record<string, unknown>> = [];
  for (const severity of [5, 4, 3, 2, 1]) {
    for (let n = 0; n < (counts[`severity${severity}Count`] ?? 0); n++) {
      let qid = r.int(150_000, 380_000);
      while (qids.has(qid)) qid = r.int(150_000, 380_000);
      qids.add(qid);
      const pkgCount = r.chance(0.1) ? 0 : r.int(1, 2);
      const software = Array.from({ length: pkgCount }, () => {
        const installed = `${r.int(1, 3)}.${r.int(0, 9)}.${r.int(0, 20)}`;
        return { name: r.pick(PACKAGES), version: installed, fixVersion: r.chance(0.7) ? `${installed.split('.')[0]}.${r.int(0, 9)}.${r.int(21, 40)}` : null };
      });
      const firstFound = lastFound - r.int(0, 730) * DAY - r.int(0, DAY - 1);
      const cves = Array.from({ length: r.int(0, 3) }, () => `CVE-${r.int(2015, 2026)}-${r.int(1000, 49999)}`);
      const threats = THREATS.filter(() => r.chance(0.08));
      findings.push({
        qid,
        title: `${r.pick(TITLES)} ${software[0]?.name ?? 'the kernel'}`,
        severity,
        customerSeverity: r.chance(0.9) ? severity : Math.max(1, severity - 1),
        cveids: cves,
        typeDetected: r.chance(0.85) ? 'CONFIRMED' : 'POTENTIAL',
        patchAvailable: software.some((s) => s.fixVersion !== null) || r.chance(0.1),
        firstFound: String(firstFound),
        lastFound: String(lastFound),
        published: firstFound - r.int(0, 365) * DAY,
        qdsScore: r.int(severity * 15, severity * 20),
        isExempted: r.chance(0.03),
        cvss3Info: r.chance(0.2)
          ? null
          : { baseScore: String((severity * 2 - r.int(0, 10) / 10).toFixed(1)), temporalScore: String((severity * 1.8).toFixed(1)) },
        // Qualys sends the flags as true or null, never false.
        threatIntel: Object.fromEntries(THREATS.map((t) => [t, threats.includes(t) ? true : null])),
        layerSha: r.hex(64),
        software,
        result:
          software.length === 0
            ? null
            : `#table cols="3"\nPackage Installed_Version Required_Version\n${software.map((s) => `${s.name} ${s.version} ${s.fixVersion ?? '-'}`).join('\n')}`,
      });
    }
  }
  return findings;
}

/** The fields GET /images/{sha} gives per finding (the /vuln extras, customer severity, CVSS and threat intel, are not in it). */
export function detailsFinding(f: Record<string, unknown>): Record<string, unknown> {
  const { customerSeverity: _c, cvss3Info: _v, threatIntel: _t, published: _p, ...rest } = f;
  return rest;
}

/** The bulk shape keeps only qid, result, software and layerSha. */
export function bulkFinding(f: Record<string, unknown>): Record<string, unknown> {
  return { qid: f['qid'], result: f['result'], software: f['software'], layerSha: f['layerSha'] };
}

/**
 * GET /csapi/v1.3/images/{sha}/vuln: `details[]` and a `vulnSummary` of confirmed and potential counts by severity.
 * With `applyException` (Qualys' default) the findings under an exception (`isExempted`) are left out, as the real
 * endpoint does; the image list's counts still include them.
 */
export function vulnAnswer(image: RawImage, applyException = true): Record<string, unknown> {
  const details = imageFindings(image).filter((f) => !applyException || f['isExempted'] !== true);
  const summary = (type: string) =>
    Object.fromEntries([1, 2, 3, 4, 5].map((s) => [`sev${s}Count`, details.filter((d) => d['severity'] === s && d['typeDetected'] === type).length]));
  return {
    details,
    vulnSummary: {
      confirmed: summary('CONFIRMED'),
      potential: summary('POTENTIAL'),
      patchAvailability: { patchable: details.filter((d) => d['patchAvailable'] === true).length },
    },
  };
}

/** The list record with severity counts that leave out the findings under an exception (never-scanned stays null). */
export function countsWithoutExceptions(image: RawImage): RawImage {
  if (image.vulnerabilities === null) return image;
  const counts = { ...image.vulnerabilities };
  for (const f of imageFindings(image)) {
    const key = `severity${String(f['severity'])}Count`;
    if (f['isExempted'] === true && typeof counts[key] === 'number') counts[key] = (counts[key] as number) - 1;
  }
  return { ...image, vulnerabilities: counts };
}

const REASONS = ['RISK_ACCEPTED', 'FALSE_POSITIVE'];
/** Qualys' end date for an exception that never ends (2099-12-31), as its doc sample sends it. */
export const NO_END = '4102358400000';

/**
 * GET /csapi/v1.3/images/{sha}/exceptions: for an image with an exempted finding, one exception (four in five) or two,
 * as Qualys' doc sample shapes them (dates as epoch-ms strings, no QIDs: those are in the list `listId` names); some end
 * never, some on a date, and a second one has sometimes ended already. An image without exempted findings has none.
 * Deterministic per sha.
 */
export function imageExceptions(image: RawImage): Array<Record<string, unknown>> {
  if (!imageFindings(image).some((f) => f['isExempted'] === true)) return [];
  const r = createRandom(parseInt(image.sha.slice(16, 24), 16));
  const scanned = Number(image.lastVmScanDate ?? image.updated);
  const one = (n: number, ended: boolean) => {
    const start = scanned - r.int(1, 400) * DAY;
    const end = ended ? String(scanned - r.int(1, 30) * DAY) : r.chance(0.5) ? NO_END : String(scanned + r.int(30, 365) * DAY);
    const reason = r.pick(REASONS);
    return {
      uuid: `${image.sha.slice(0, 8)}-${n}000-4000-8000-${image.sha.slice(8, 20)}`,
      name: `${reason === 'FALSE_POSITIVE' ? 'False positive' : 'Accepted risk'} ${image.sha.slice(0, 6)}-${n}`,
      createdBy: 'secops1',
      created: String(start),
      updatedBy: 'secops1',
      updated: String(start),
      reason,
      explanation: reason === 'FALSE_POSITIVE' ? 'Not reachable in this image' : 'Compensating control in place',
      scope: null,
      listId: `${image.sha.slice(24, 32)}-0000-4000-8000-${image.sha.slice(32, 44)}`,
      startDate: String(start),
      endDate: end,
    };
  };
  return r.chance(0.8) ? [one(1, false)] : [one(1, false), one(2, r.chance(0.5))];
}
