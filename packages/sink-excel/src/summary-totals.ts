import { buildColumns, type ImageRecord } from '@qcs-export/core/sink';

export interface SeverityTotal {
  severity: 1 | 2 | 3 | 4 | 5;
  /** Vulnerabilities of this severity over all images. */
  vulnerabilities: number;
  /** Images with at least one of them. */
  images: number;
}

export interface RiskyImage {
  sha: string;
  repositories: string | null;
  riskScore: number | null;
  qdsSeverity: string | null;
  severity5: number | null;
  severity4: number | null;
  total: number | null;
  lastScanned: string | null;
}

export const TOP_RISKY = 10;

/**
 * The numbers for the Summary sheet, gathered as rows stream past. Memory is constant: counters and the ten
 * riskiest images so far, never the rows.
 */
export class SummaryTotals {
  images = 0;
  /** Images the source gave no severity counts for (the bulk strategy has none). */
  imagesWithoutCounts = 0;
  cellsCut = 0;
  readonly bySeverity: SeverityTotal[] = ([1, 2, 3, 4, 5] as const).map((severity) => ({ severity, vulnerabilities: 0, images: 0 }));
  private readonly top: RiskyImage[] = [];
  private readonly repositories;

  constructor(joinWith: string) {
    const [column] = buildColumns(['repo'], { joinWith });
    this.repositories = (r: ImageRecord) => column?.value(r) as string | null;
  }

  add(record: ImageRecord): void {
    this.images += 1;
    const counts = record.vulnerabilityCounts;
    if (counts) {
      const perSeverity = [counts.severity1Count, counts.severity2Count, counts.severity3Count, counts.severity4Count, counts.severity5Count];
      perSeverity.forEach((n, i) => {
        const total = this.bySeverity[i] as SeverityTotal;
        total.vulnerabilities += n;
        if (n > 0) total.images += 1;
      });
    } else {
      this.imagesWithoutCounts += 1;
    }
    this.consider(record);
  }

  /** Vulnerabilities over all severities and images. */
  get vulnerabilities(): number {
    return this.bySeverity.reduce((sum, s) => sum + s.vulnerabilities, 0);
  }

  /** The riskiest images, riskiest first. */
  riskiest(): readonly RiskyImage[] {
    return this.top;
  }

  private consider(record: ImageRecord): void {
    const c = record.vulnerabilityCounts;
    const candidate: RiskyImage = {
      sha: record.sha,
      repositories: null,
      riskScore: record.riskScore,
      qdsSeverity: record.qdsSeverity,
      severity5: c?.severity5Count ?? null,
      severity4: c?.severity4Count ?? null,
      total: c?.total ?? null,
      lastScanned: record.lastScanned,
    };
    if (this.top.length === TOP_RISKY && compareRisk(candidate, this.top[TOP_RISKY - 1] as RiskyImage) >= 0) return;
    candidate.repositories = this.repositories(record);
    const at = this.top.findIndex((t) => compareRisk(candidate, t) < 0);
    this.top.splice(at === -1 ? this.top.length : at, 0, candidate);
    if (this.top.length > TOP_RISKY) this.top.pop();
  }
}

/**
 * Riskiest first: Qualys risk score, then urgent and critical counts, then the total; an image without a value
 * ranks below one with any. The sha breaks ties so the list does not depend on the order images arrive in.
 */
export function compareRisk(a: RiskyImage, b: RiskyImage): number {
  const keys: Array<keyof RiskyImage> = ['riskScore', 'severity5', 'severity4', 'total'];
  for (const key of keys) {
    const x = (a[key] as number | null) ?? -1;
    const y = (b[key] as number | null) ?? -1;
    if (x !== y) return y - x;
  }
  return a.sha < b.sha ? -1 : a.sha > b.sha ? 1 : 0;
}
