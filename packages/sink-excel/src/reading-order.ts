import { DEFAULT_COLUMNS } from '@qcs-export/core/sink';

/**
 * What a person reading the sheet looks for first: which image, how bad (urgent severities first, as on the
 * Summary), its risk, and how current the scan is.
 */
const READ_FIRST = [
  'repo',
  'vulnerabilityCounts.severity5Count',
  'vulnerabilityCounts.severity4Count',
  'vulnerabilityCounts.severity3Count',
  'vulnerabilityCounts.severity2Count',
  'vulnerabilityCounts.severity1Count',
  'vulnerabilityCounts.total',
  'riskScore',
  'qdsSeverity',
  'lastScanned',
  'created',
  'updated',
];

/** The long hex identifiers: needed to look an image up, never read, and wide enough to push the rest off the screen. */
const IDENTIFIERS_LAST = ['sha', 'imageId', 'repoDigests'];

/**
 * The Excel sink's default columns: core's compliance set, reordered for reading. Core's list stays the CSV
 * default (scripts may read CSV columns by position), so Excel reorders it here rather than in core. Columns
 * core adds later land between the two groups, so none is ever dropped.
 */
export function excelDefaultColumns(defaults: readonly string[] = DEFAULT_COLUMNS): string[] {
  const present = (keys: readonly string[]) => keys.filter((key) => defaults.includes(key));
  const placed = new Set([...READ_FIRST, ...IDENTIFIERS_LAST]);
  return [...present(READ_FIRST), ...defaults.filter((key) => !placed.has(key)), ...present(IDENTIFIERS_LAST)];
}
