import type { EmptyPageShape, QueuedFault } from './faults.js';

/**
 * The records a page carries under a `shortPage` or `duplicateInPage` fault (any other fault leaves it whole).
 * A short page keeps half its records rounded down, but a page of one keeps its record: emptying a page is the
 * `emptyPage` fault's job.
 */
export function shapeItems<T>(items: readonly T[], fault: QueuedFault | undefined): T[] {
  if (fault?.kind === 'shortPage' && items.length >= 2) return items.slice(0, Math.floor(items.length / 2));
  if (fault?.kind === 'duplicateInPage' && items.length >= 1) return [...items, items[0] as T];
  return [...items];
}

/** The body of an `emptyPage` answer (not the 204 shape); `count` is kept when the answer would carry one. */
export function emptyPageBody(shape: Exclude<EmptyPageShape, '204'>, count: number | undefined): Record<string, unknown> {
  const withCount = count === undefined ? {} : { count };
  if (shape === 'absent') return withCount;
  return { data: shape === 'null' ? null : [], ...withCount };
}
