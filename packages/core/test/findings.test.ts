import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { findingKey, findingRows, normalizeImage, slaFields, type ImageRecord } from '../src/index.js';

const NOW = new Date('2026-06-30T12:00:00.000Z');
const daysBefore = (days: number) => new Date(NOW.getTime() - days * 86_400_000).toISOString();

/** An image in the details shape, as GET /csapi/v1.3/images/{sha} gives it. */
function detailsImage(vulnerabilities: unknown[], extra: Record<string, unknown> = {}): ImageRecord {
  return normalizeImage(
    {
      sha: 'a'.repeat(64),
      imageId: 'aaaaaaaaaaaa',
      repo: [
        { registry: 'docker.io', repository: 'library/nginx', tag: '1.25' },
        { registry: 'docker.io', repository: 'library/nginx', tag: 'latest' },
      ],
      associatedContainersCount: 3,
      vulnerabilities,
      ...extra,
    },
    'images/details',
  );
}

const finding = (qid: number, severity: number, firstFoundDaysAgo: number, more: Record<string, unknown> = {}) => ({
  qid,
  severity,
  title: `QID ${qid}`,
  cveids: [`CVE-2024-${qid}`],
  typeDetected: 'CONFIRMED',
  patchAvailable: false,
  firstFound: String(Date.parse(daysBefore(firstFoundDaysAgo))),
  lastFound: String(Date.parse(daysBefore(1))),
  software: [],
  ...more,
});

describe('SLA fields (an independent calculation)', () => {
  it("counts whole days; due is firstFound + the severity's days; breached once past it", () => {
    expect(slaFields(5, daysBefore(29.9), NOW)).toEqual({
      ageDays: 29,
      slaDays: 30,
      slaDueAt: new Date(Date.parse(daysBefore(29.9)) + 30 * 86_400_000).toISOString(),
      slaStatus: 'within',
      daysOverdue: 0,
    });
    expect(slaFields(5, daysBefore(45), NOW)).toMatchObject({ ageDays: 45, slaDays: 30, slaStatus: 'breached', daysOverdue: 15 });
    expect(slaFields(3, daysBefore(45), NOW)).toMatchObject({ slaDays: 90, slaStatus: 'within', daysOverdue: 0 });
    expect(slaFields(1, daysBefore(200), NOW)).toMatchObject({ slaDays: 180, slaStatus: 'breached', daysOverdue: 20 });
  });

  it('is n/a, never a guess, without a first-found date or a known severity', () => {
    expect(slaFields(5, null, NOW)).toEqual({ ageDays: null, slaDays: 30, slaDueAt: null, slaStatus: 'n/a', daysOverdue: null });
    expect(slaFields(null, daysBefore(10), NOW)).toEqual({ ageDays: 10, slaDays: null, slaDueAt: null, slaStatus: 'n/a', daysOverdue: null });
    expect(slaFields(7, daysBefore(10), NOW).slaStatus).toBe('n/a');
  });

  it('takes the policy from the config', () => {
    expect(slaFields(4, daysBefore(10), NOW, { 5: 7, 4: 7, 3: 30, 2: 90, 1: 90 })).toMatchObject({ slaDays: 7, slaStatus: 'breached', daysOverdue: 3 });
  });
});

describe('finding rows', () => {
  it('one row per image × QID, with the image identity, labels, CVEs and SLA', () => {
    const image = detailsImage([finding(100_001, 5, 45), finding(100_002, 2, 10)]);
    const rows = findingRows(image, 'findings', { now: NOW });
    expect(rows).toHaveLength(2);
    expect(rows[0]).toMatchObject({
      sha: image.sha,
      imageId: 'aaaaaaaaaaaa',
      repositories: ['docker.io/library/nginx:1.25', 'docker.io/library/nginx:latest'],
      imageInUse: true,
      qid: 100_001,
      severity: 5,
      severityLabel: 'CRITICAL',
      cveIds: ['CVE-2024-100001'],
      ageDays: 45,
      slaStatus: 'breached',
      daysOverdue: 15,
      fixAvailable: false,
      fixedVersion: null,
    });
    expect(rows[1]).toMatchObject({ severityLabel: 'LOW', slaStatus: 'within' });
  });

  it('the key is sha256 of sha and QID (and package at the package grain): stable, and the same in every run', () => {
    const image = detailsImage([finding(100_001, 4, 5, { software: [{ name: 'openssl', version: '3.0.1', fixVersion: '3.0.13' }] })]);
    const [row] = findingRows(image, 'findings', { now: NOW });
    expect(row?.findingKey).toBe(createHash('sha256').update(`${image.sha}\u0000100001`).digest('hex'));
    const [pkgRow] = findingRows(image, 'packages', { now: NOW });
    expect(pkgRow?.findingKey).toBe(createHash('sha256').update(`${image.sha}\u0000100001\u0000openssl\u00003.0.1`).digest('hex'));
    expect(findingKey(image.sha, 100_001)).toBe(row?.findingKey);
  });

  it('packages grain: one row per affected package, and one for a finding without packages', () => {
    const image = detailsImage([
      finding(1, 4, 5, {
        software: [
          { name: 'openssl', version: '3.0.1', fixVersion: '3.0.13' },
          { name: 'libssl3', version: '3.0.1', fixVersion: null },
        ],
      }),
      finding(2, 3, 5),
    ]);
    const rows = findingRows(image, 'packages', { now: NOW });
    expect(rows.map((r) => [r.qid, r.packageName, r.packageVersion, r.fixedVersion, r.fixAvailable])).toEqual([
      [1, 'openssl', '3.0.1', '3.0.13', true],
      [1, 'libssl3', '3.0.1', null, false],
      [2, null, null, null, false],
    ]);
    expect(new Set(rows.map((r) => r.findingKey)).size).toBe(3);
  });

  it('fix available when Qualys says a patch exists or any package names a fix version; fix versions distinct', () => {
    const image = detailsImage([
      finding(1, 4, 5, { patchAvailable: true }),
      finding(2, 4, 5, {
        software: [
          { name: 'a', version: '1', fixVersion: '2' },
          { name: 'b', version: '1', fixVersion: '2' },
          { name: 'c', version: '1', fixVersion: '3' },
        ],
      }),
    ]);
    const rows = findingRows(image, 'findings', { now: NOW });
    expect(rows.map((r) => [r.fixAvailable, r.fixedVersion])).toEqual([
      [true, null],
      [true, '2, 3'],
    ]);
  });

  it('a QID listed twice is one finding; a finding without a QID cannot be keyed and gives no row', () => {
    const image = detailsImage([finding(7, 3, 5), finding(7, 3, 5), { severity: 3, title: 'no qid' }]);
    expect(findingRows(image, 'findings', { now: NOW }).map((r) => r.qid)).toEqual([7]);
  });

  it('/vuln fields: CVSS v3 base score, customer severity, exemption, and only the threat flags that are true', () => {
    const image = detailsImage([
      finding(9, 5, 5, {
        customerSeverity: 4,
        qdsScore: 95,
        isExempted: true,
        cvss3Info: { baseScore: '9.8', temporalScore: '9.1' },
        threatIntel: { activeAttacks: true, publicExploit: true, zeroDay: null, malwareNames: ['x'] },
        published: 1_700_000_000_000,
      }),
    ]);
    const [row] = findingRows(image, 'findings', { now: NOW });
    expect(row).toMatchObject({
      customerSeverity: 4,
      qdsScore: 95,
      exempted: true,
      cvss3BaseScore: 9.8,
      threatIntel: ['activeAttacks', 'publicExploit'],
      published: '2023-11-14T22:13:20.000Z',
    });
    // Nothing lost: the raw CVSS and threat-intelligence objects stay whole.
    expect(row?.extra).toMatchObject({ cvss3Info: { baseScore: '9.8', temporalScore: '9.1' }, threatIntel: { malwareNames: ['x'] } });
  });

  it('an image without findings gives no rows; image in use is null when Qualys gave no container count', () => {
    expect(findingRows(detailsImage([]), 'findings', { now: NOW })).toEqual([]);
    const unknownUse = detailsImage([finding(1, 1, 1)], { associatedContainersCount: null });
    expect(findingRows(unknownUse, 'findings', { now: NOW })[0]?.imageInUse).toBeNull();
  });
});
