import { clip } from './clip.js';
import { QcsError } from '../errors.js';
import type { QualysGetter, RequestOptions } from '../client/types.js';
import type { KeysetField } from './keyset.js';
import { andFilters, excludeValues } from './qql.js';
import { rawEpochMs, readPage } from './raw-page.js';
import type { ListResource } from './resource.js';

/** One query form tried on this server, and what it did. */
export interface FormVerdict {
  form: string;
  ok: boolean;
  detail: string;
}

export interface SelfTestResult {
  ok: boolean;
  verdicts: FormVerdict[];
  /** Calls the test made. */
  calls: number;
}

export interface SelfTestContext {
  client: QualysGetter;
  filter: string | undefined;
  request: RequestOptions;
  /** The list the forms are tried on, and the field a `not <field>: [...]` exclusion names. */
  resource: Pick<ListResource<unknown>, 'path' | 'exclusionField'>;
}

/** Records read to find a pivot whose neighbourhood is known exactly. */
const SAMPLE_SIZES = [50, 1000] as const;

/**
 * Checks, on this server and this filter, every query form a keyset crawl on `field` relies on, by asking for
 * counts it can predict exactly from one sorted sample of the resource's list (docs/qualys-api.md §2: none of
 * these forms is documented for /images). From the sample it takes a pivot value p with `below` records under it
 * and `atPivot` records on it, then expects (`uuid` is the resource's exclusionField):
 *   sort=field:asc                     the sample is in ascending order and the count is the total
 *   field>=p                           total − below     (a server reading epoch-ms as seconds fails here)
 *   field<p                            below
 *   field>=p and field<next            atPivot           (a server that over-filters combined ranges fails)
 *   field:[p ... p]                    atPivot           (used to page a large group of equal values)
 *   field>=p and not uuid: [one]       total − below − 1 (a server that ignores the exclusion fails)
 * Six calls, seven when the first sample holds too few distinct values. A 400 on a form fails that form. Images rescanned during the test can shift
 * counts, so a caller should repeat a failed test once before believing it.
 */
export async function selfTestKeyset(ctx: SelfTestContext, field: KeysetField, total: number | undefined): Promise<SelfTestResult> {
  const verdicts: FormVerdict[] = [];
  let calls = 0;
  const { path, exclusionField } = ctx.resource;
  const ask = async (filter: string | undefined, pageSize: number) => {
    calls++;
    const response = await ctx.client.get(path, { filter, sort: `${field}:asc`, pageNumber: 1, pageSize }, ctx.request);
    return readPage(response, `GET ${path}`);
  };
  const done = (): SelfTestResult => ({ ok: verdicts.length > 0 && verdicts.every((v) => v.ok), verdicts, calls });
  if (total === undefined) {
    verdicts.push({ form: 'count', ok: false, detail: 'the server sends no "count", so no crawl can be checked for completeness' });
    return done();
  }

  let sample: Awaited<ReturnType<typeof ask>> | undefined;
  let keys: Array<number | undefined> = [];
  // A small sample first; a larger one when the oldest records all share one value (reproducible builds report a
  // created date of 0), so a pivot with known neighbours can still be found.
  for (const size of SAMPLE_SIZES) {
    try {
      sample = await ask(ctx.filter, size);
    } catch (error) {
      verdicts.push({ form: `sort=${field}:asc`, ok: false, detail: refusal(error) });
      return done();
    }
    keys = sample.data.map((r) => rawEpochMs(r, field));
    if (new Set(keys).size >= 3 || sample.data.length < size) break;
  }
  if (sample === undefined) return done();
  const sorted = keys.every((k, i) => k !== undefined && (i === 0 || (k as number) >= (keys[i - 1] as number)));
  verdicts.push({
    form: `sort=${field}:asc`,
    ok: sorted && sample.count === total,
    detail: !sorted
      ? `records came back out of ${field} order`
      : sample.count !== total
        ? `count ${sample.count} differs from the unsorted count ${total}`
        : 'records in ascending order',
  });
  if (!sorted) return done();

  // A pivot whose whole group of equal values lies inside the sample, so every expected count is exact.
  let j = -1;
  let k = -1;
  for (let i = 1; i < keys.length && j < 0; i++) {
    if (keys[i] === keys[i - 1]) continue;
    const next = keys.findIndex((v, n) => n > i && v !== keys[i]);
    if (next > i) [j, k] = [i, next];
  }
  if (j < 0) {
    verdicts.push({
      form: `${field} ranges`,
      ok: false,
      detail: `the first ${keys.length} records do not hold three distinct ${field} values to test ranges with`,
    });
    return done();
  }
  const p = keys[j] as number;
  const next = keys[k] as number;
  const below = j;
  const atPivot = k - j;
  const excludedValue = String(sample.data[j]?.[exclusionField] ?? '');
  const forms: Array<{ form: string; filter: string; expected: number }> = [
    { form: `${field}>=X (epoch ms)`, filter: `${field}>=${p}`, expected: total - below },
    { form: `${field}<X`, filter: `${field}<${p}`, expected: below },
    { form: `${field}>=X and ${field}<Y`, filter: `${field}>=${p} and ${field}<${next}`, expected: atPivot },
    { form: `${field}:[X ... X]`, filter: `${field}:[${p} ... ${p}]`, expected: atPivot },
    {
      form: `${field}>=X and not ${exclusionField}: [...]`,
      filter: `${field}>=${p} and ${excludeValues(exclusionField, [excludedValue])}`,
      expected: total - below - 1,
    },
  ];
  const results = await Promise.all(
    forms.map(async (f) => {
      try {
        const page = await ask(andFilters(ctx.filter, f.filter), 1);
        const first = page.data[0] ? rawEpochMs(page.data[0], field) : undefined;
        const firstOk = f.expected === 0 || (first !== undefined && (f.filter.startsWith(`${field}<`) ? first < p : first >= p));
        const ok = page.count === f.expected && firstOk;
        return {
          form: f.form,
          ok,
          detail: ok
            ? `count ${page.count} as expected`
            : `expected count ${f.expected}, got ${page.count ?? 'none'}${firstOk ? '' : ' and a record outside the range'}`,
        };
      } catch (error) {
        return { form: f.form, ok: false, detail: refusal(error) };
      }
    }),
  );
  verdicts.push(...results);
  return done();
}

function refusal(error: unknown): string {
  if (error instanceof QcsError && (error.code === 'QCS_FILTER_REJECTED' || error.code === 'QCS_HTTP_ERROR' || error.code === 'QCS_PROTOCOL')) {
    return `refused: ${clip(error.message, 200)}`;
  }
  throw error;
}
