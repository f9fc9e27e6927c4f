/**
 * The one severity vocabulary of every sink and every sheet: Qualys' 1–5 scale, each number with one word, written
 * with the number beside it ("5 CRITICAL") wherever a person reads it.
 *
 * The words are CVSS's qualitative ratings and Elastic Security's (CRITICAL, HIGH, MEDIUM, LOW), with INFO for 1, not
 * Qualys' own (Urgent, Critical, Serious, Medium, Minimal): Qualys puts "Critical" on 4, where every CVSS-based tool
 * an auditor or a SIEM user also reads says HIGH. The number beside the word keeps the way back to the Qualys UI.
 */
export type SeverityLabel = 'CRITICAL' | 'HIGH' | 'MEDIUM' | 'LOW' | 'INFO';

export const SEVERITY_LABELS: Readonly<Record<1 | 2 | 3 | 4 | 5, SeverityLabel>> = { 5: 'CRITICAL', 4: 'HIGH', 3: 'MEDIUM', 2: 'LOW', 1: 'INFO' };

/** Qualys' own word for each severity, for the README's table and nothing else. */
export const QUALYS_SEVERITY_WORDS: Readonly<Record<1 | 2 | 3 | 4 | 5, string>> = { 5: 'Urgent', 4: 'Critical', 3: 'Serious', 2: 'Medium', 1: 'Minimal' };

/** The label of a Qualys severity; null for anything outside 1..5 (absent, or a value a newer API invents). */
export function severityLabel(severity: number | null): SeverityLabel | null {
  return severity === null ? null : (SEVERITY_LABELS[severity as 1 | 2 | 3 | 4 | 5] ?? null);
}

/** The severity as people read it, the number beside the word: "5 CRITICAL"; "unknown" without a known severity. */
export function severityText(severity: number | null): string {
  const label = severityLabel(severity);
  return label === null ? (severity === null ? 'unknown' : String(severity)) : `${severity} ${label}`;
}
