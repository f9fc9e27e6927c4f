/** The Qualys severity scale, 1 to 5, as the labels auditors and Elastic Security read. */
export type SeverityLabel = 'CRITICAL' | 'HIGH' | 'MEDIUM' | 'LOW' | 'INFO';

const LABELS: Record<number, SeverityLabel> = { 5: 'CRITICAL', 4: 'HIGH', 3: 'MEDIUM', 2: 'LOW', 1: 'INFO' };

/** The label of a Qualys severity; null for anything outside 1..5 (absent, or a value a newer API invents). */
export function severityLabel(severity: number | null): SeverityLabel | null {
  return severity === null ? null : (LABELS[severity] ?? null);
}
