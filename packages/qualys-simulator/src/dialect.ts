import { BadRequest } from './http.js';
import type { RawImage } from './data.js';
import { IMAGE_FIELDS, parseQql, type ParsedFilter, type QqlConstruct, type QqlFields } from './qql.js';

/** Filter or sort syntax a dialect can refuse. */
export type DialectConstruct = QqlConstruct | 'sort:updated' | 'sort:created';

/**
 * How a plausible real Qualys server reads a request, where the documentation leaves room. Every flag applies to
 * the client's `filter` (and `sort`) only: the bulk API's `paginationQuery` is the server's own cursor and is
 * always read plainly. Default: {} (the documented reading).
 */
export interface Dialect {
  /**
   * Constructs answered with 400 `{errorCode:'400 BAD_REQUEST', message:'Invalid filter: ...'}` on /images,
   * /images/list, /containers and /containers/list: "compare" (>= > < <=), "bracket-range" (`f:[a ... b]`,
   * `f:(a .. b)`), "not", and "sort:updated" / "sort:created" (`sort=<field>:asc|desc` on /images and /containers).
   * Default: none.
   */
  reject?: DialectConstruct[];
  /** Numbers compared with date fields (compare and range forms) are epoch SECONDS (×1000 before comparing). Default: false. */
  epochSeconds?: boolean;
  /** `not uuid: [...]` is accepted and excludes nothing. Default: false. */
  ignoreNotUuid?: boolean;
  /** Two or more date range terms ANDed at the top level make every such bound exclusive; one alone is exact. Default: false. */
  overFilterCombinedRanges?: boolean;
  /** /images and /containers ignore `sort` (not even validated) and return records in uuid order. Default: false. */
  ignoreSort?: boolean;
  /** Records with an equal sort key come in an order that changes per request, as with no tie-breaker. Default: false. */
  unstableTieOrder?: boolean;
  /** "absent" leaves `count` out of /images and /containers answers. Default: "exact". */
  count?: 'exact' | 'absent';
  /** /images/list and /containers/list answers carry `count`: all records matching `filter`, whatever the cursor. Default: false. */
  bulkCount?: boolean;
}

const CONSTRUCT_NAMES: Record<QqlConstruct, string> = {
  compare: 'comparison operators (>=, >, <, <=)',
  'bracket-range': 'range values ([a ... b] or (a .. b))',
  not: 'the "not" operator',
};

/** The client's `filter` read as this dialect reads it: undefined when blank, a 400 when it uses a refused construct. */
export function parseClientFilter<T = RawImage>(
  text: string | undefined,
  dialect: Dialect,
  fields: QqlFields<T> = IMAGE_FIELDS as unknown as QqlFields<T>,
): ParsedFilter<T> | undefined {
  if (!text || text.trim() === '') return undefined;
  const options = {
    epochSeconds: dialect.epochSeconds === true,
    ignoreNotUuid: dialect.ignoreNotUuid === true,
    exclusiveCombinedRanges: dialect.overFilterCombinedRanges === true,
  };
  const parsed = parseQql(text, Date.now(), options, fields);
  for (const construct of parsed.constructs) {
    if (dialect.reject?.includes(construct)) throw new BadRequest(`Invalid filter: ${CONSTRUCT_NAMES[construct]} not supported in "${text}"`);
  }
  return parsed;
}

/** A 400 when /images or /containers is asked to sort by a field this dialect refuses to sort by. */
export function checkSort(sort: string | undefined, dialect: Dialect): void {
  const field = sort?.split(':')[0];
  if (field && dialect.reject?.includes(`sort:${field}` as DialectConstruct)) throw new BadRequest(`Invalid filter: sort "${sort}" is not supported`);
}
