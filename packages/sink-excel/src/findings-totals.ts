import type { FindingRecord, SlaStatus } from '@qcs-export/core/sink';

export interface SeveritySla {
  severity: number | null;
  slaDays: number | null;
  /** Open findings not under an exception: what the breach figures are about. */
  open: number;
  breached: number;
  /** Findings under an exception, counted apart: neither open nor breached for the SLA. */
  exempted: number;
  /** Age of the oldest finding, in whole days. */
  oldestDays: number | null;
  medianDays: number | null;
  /** Images with at least one breached finding of this severity. */
  imagesBreached: number;
}

/**
 * What the SLA sheet and the Summary's top lists need, gathered row by row. Memory grows with the distinct QIDs, CVEs
 * and ages (in whole days), never with the number of findings.
 */
export class FindingsTotals {
  findings = 0;
  /** Distinct findings (image × QID) under an exception. */
  exempted = 0;
  /** Distinct findings (image × QID) by SLA status, most pressing first. */
  readonly byStatus: Record<SlaStatus, number> = { breached: 0, within: 0, exempted: 0, 'n/a': 0 };
  private readonly bySeverity = new Map<
    number | null,
    { slaDays: number | null; open: number; breached: number; exempted: number; ages: Map<number, number>; imagesBreached: number }
  >();
  private readonly qids = new Map<number, { title: string | null; severity: number | null; images: number }>();
  private readonly cves = new Map<string, number>();

  /** The rows of one image: each QID and CVE counts once per image, whatever the grain. */
  addImage(rows: readonly FindingRecord[]): void {
    const qids = new Set<number>();
    const cves = new Set<string>();
    const breachedSeverities = new Set<number | null>();
    for (const row of rows) {
      this.findings++;
      if (qids.has(row.qid)) continue;
      qids.add(row.qid);
      for (const cve of row.cveIds) cves.add(cve);
      this.byStatus[row.slaStatus]++;
      const s = this.severity(row.severity, row.slaDays);
      if (row.slaStatus === 'exempted') {
        s.exempted++;
        this.exempted++;
      } else s.open++;
      if (row.slaStatus === 'breached') {
        s.breached++;
        breachedSeverities.add(row.severity);
      }
      if (row.ageDays !== null && row.slaStatus !== 'exempted') s.ages.set(row.ageDays, (s.ages.get(row.ageDays) ?? 0) + 1);
      const q = this.qids.get(row.qid) ?? { title: row.title, severity: row.severity, images: 0 };
      q.images++;
      this.qids.set(row.qid, q);
    }
    for (const cve of cves) this.cves.set(cve, (this.cves.get(cve) ?? 0) + 1);
    for (const severity of breachedSeverities) this.severity(severity, null).imagesBreached++;
  }

  /** One row per severity, most severe first; findings without a known severity last. */
  sla(): SeveritySla[] {
    return [...this.bySeverity.entries()]
      .sort(([a], [b]) => (b ?? 0) - (a ?? 0))
      .map(([severity, s]) => ({
        severity,
        slaDays: s.slaDays,
        open: s.open,
        breached: s.breached,
        exempted: s.exempted,
        oldestDays: s.ages.size === 0 ? null : Math.max(...s.ages.keys()),
        medianDays: median(s.ages),
        imagesBreached: s.imagesBreached,
      }));
  }

  /** The QIDs that affect the most images. */
  topQids(n = 10): Array<{ qid: number; title: string | null; severity: number | null; images: number }> {
    return [...this.qids.entries()]
      .map(([qid, q]) => ({ qid, ...q }))
      .sort((a, b) => b.images - a.images || a.qid - b.qid)
      .slice(0, n);
  }

  /** The CVEs that affect the most images. */
  topCves(n = 10): Array<{ cve: string; images: number }> {
    return [...this.cves.entries()]
      .map(([cve, images]) => ({ cve, images }))
      .sort((a, b) => b.images - a.images || a.cve.localeCompare(b.cve))
      .slice(0, n);
  }

  private severity(severity: number | null, slaDays: number | null) {
    let s = this.bySeverity.get(severity);
    if (!s) {
      s = { slaDays, open: 0, breached: 0, exempted: 0, ages: new Map(), imagesBreached: 0 };
      this.bySeverity.set(severity, s);
    }
    if (s.slaDays === null) s.slaDays = slaDays;
    return s;
  }
}

/** The median of a histogram of whole days (the lower middle for an even count). */
function median(ages: ReadonlyMap<number, number>): number | null {
  const total = [...ages.values()].reduce((a, b) => a + b, 0);
  if (total === 0) return null;
  let seen = 0;
  for (const [age, count] of [...ages.entries()].sort(([a], [b]) => a - b)) {
    seen += count;
    if (seen >= (total + 1) / 2) return age;
  }
  return null;
}
