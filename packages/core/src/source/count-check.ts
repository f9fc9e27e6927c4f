import type { VulnerabilityCounts, VulnerabilityFinding } from '../record.js';

/** One image whose list counts and findings disagree: both sides, per severity and in total. */
export interface CountMismatch {
  sha: string;
  /** The severity counts the image list gave. */
  listed: VulnerabilityCounts;
  /** The same counted from the findings; `total` also counts findings without a severity. */
  found: VulnerabilityCounts;
}

/** Examples kept for the summary and --json: enough to look a few images up, never one per image. */
export const MISMATCH_EXAMPLES = 5;
const SEVERITIES = [5, 4, 3, 2, 1] as const;

/** The findings counted by severity the way the list counts them; undefined when they agree with `listed`. */
export function countMismatch(sha: string, listed: VulnerabilityCounts, findings: readonly VulnerabilityFinding[]): CountMismatch | undefined {
  const found: VulnerabilityCounts = { severity1Count: 0, severity2Count: 0, severity3Count: 0, severity4Count: 0, severity5Count: 0, total: findings.length };
  for (const f of findings) if (f.severity !== null && SEVERITIES.includes(f.severity as 1)) found[`severity${f.severity as 1}Count`]++;
  const same = found.total === listed.total && SEVERITIES.every((s) => found[`severity${s}Count`] === listed[`severity${s}Count`]);
  return same ? undefined : { sha, listed, found };
}

/**
 * One warning for every disagreement of a run, with the numbers and a few examples: a line per image would bury the
 * rest of the log on a tenant where many disagree (exceptions the list leaves out, rescans during the run).
 */
export function mismatchWarning(count: number, examples: readonly CountMismatch[], endpoint: string): string {
  const shown = examples.slice(0, 3).map((m) => {
    const bySeverity = SEVERITIES.filter((s) => m.listed[`severity${s}Count`] !== m.found[`severity${s}Count`])
      .map((s) => `severity ${s}: ${m.listed[`severity${s}Count`]} listed, ${m.found[`severity${s}Count`]} found`)
      .join('; ');
    return `${m.sha} (list ${m.listed.total}, findings ${m.found.total}${bySeverity ? `: ${bySeverity}` : ''})`;
  });
  return (
    `${count} images have severity counts in the image list that disagree with the findings ${endpoint} returned, e.g. ${shown.join(', ')}. ` +
    'The findings are exported as returned and the image counts as listed. An image rescanned during the run explains one; ' +
    'many point to findings the list counts but the findings call leaves out (or the reverse): compare one image in the Qualys UI.'
  );
}
