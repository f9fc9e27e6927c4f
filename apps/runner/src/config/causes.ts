import type { InterpolationIssue } from './interpolate.js';
import { formatPath } from './paths.js';

/**
 * One problem per missing variable or unreadable secret file: reported at its first use, naming the other places,
 * so a variable used in five sinks does not read as five problems.
 */
export function onePerCause(issues: readonly InterpolationIssue[], lineOf: (offset: number | undefined) => number | undefined): InterpolationIssue[] {
  const byCause = new Map<string, InterpolationIssue[]>();
  for (const issue of issues) byCause.set(issue.cause, [...(byCause.get(issue.cause) ?? []), issue]);
  const merged: InterpolationIssue[] = [];
  for (const [first, ...others] of byCause.values()) {
    if (!first) continue;
    const places = uniquePlaces(
      others.filter((o) => formatPath(o.path) !== formatPath(first.path)),
      lineOf,
    );
    merged.push(places.length === 0 ? first : { ...first, message: `${first.message}; also used at ${places.join(', ')}` });
  }
  return merged;
}

function uniquePlaces(issues: readonly InterpolationIssue[], lineOf: (offset: number | undefined) => number | undefined): string[] {
  const places = issues.map((i) => {
    const line = lineOf(i.offset);
    return line === undefined ? formatPath(i.path) : `${formatPath(i.path)} (line ${line})`;
  });
  return [...new Set(places)];
}
