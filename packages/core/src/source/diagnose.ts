import { QcsError } from '../errors.js';
import { clip } from './clip.js';
import type { QualysGetter, QualysResponse, RequestOptions } from '../client/types.js';
import { BULK_PATH, IMAGES, IMAGES_PATH, IMAGES_RESULT_CAP } from './resource.js';
import { probeExceptions, type ExceptionsVerdict } from './diagnose-exceptions.js';
import { decideAuto } from './choose-strategy.js';
import { countNow } from './count-now.js';
import { pageNumberLimitFor } from './settings.js';
import { nextPaginationQuery } from './link-header.js';
import { rawEpochMs, readPage } from './raw-page.js';
import { selfTestKeyset, type FormVerdict, type SelfTestResult } from './self-test.js';
import type { ResolvedStrategy } from './types.js';

export interface DiagnoseOptions {
  client: QualysGetter;
  filter: string | undefined;
  request?: RequestOptions;
  /** Makes one call with a token the server cannot know, to show its 401 body; the caller builds that client. */
  unauthenticated?: QualysGetter;
  /** The configured base URL, to tell whether the bulk Link header names another host. */
  baseUrl: string;
  /** The most records one /images query reaches; as the source's option. Default: IMAGES_RESULT_CAP. */
  resultCap?: number;
}

export interface Diagnosis {
  /** Logged in and read /images: the subscription is usable for an export at all. */
  access: { ok: boolean; detail: string };
  count: number | undefined;
  /** Rate-limit and concurrency headers seen, per bucket. */
  rateLimitHeaders: Record<'images' | 'list', Record<string, string>>;
  /** Each query form and sort the strategies rely on, with what this server did. */
  forms: FormVerdict[];
  sorts: FormVerdict[];
  pastCap: string;
  bulk: { ok: boolean; link: string | undefined; detail: string };
  unauthorized: string | undefined;
  /** Whether /vuln leaves excepted findings out unless asked with applyException=false (Qualys' documented default). */
  exceptions: ExceptionsVerdict;
  auto: { strategy: ResolvedStrategy; reason: string };
  /** Whether some strategy can export this filter completely and prove it. */
  usable: boolean;
  calls: number;
}

/**
 * A read-only look at a real subscription (`qcs-export doctor`): every query form the strategies rely on, what the
 * server does past the 10,000 cap, the bulk Link header as it really is, the rate-limit headers, and the strategy
 * auto would choose, and whether /vuln hides excepted findings by default. About 30 calls. Auth and permission
 * failures are thrown (the caller maps them to exit 4); everything else is reported.
 */
export async function diagnoseServer(options: DiagnoseOptions): Promise<Diagnosis> {
  let calls = 0;
  const request = options.request ?? {};
  const headers: Diagnosis['rateLimitHeaders'] = { images: {}, list: {} };
  const client: QualysGetter = {
    async get<T>(path: string, query?: Record<string, string | number | undefined>, o?: RequestOptions): Promise<QualysResponse<T>> {
      calls++;
      const response = await options.client.get<T>(path, query, o);
      const bucket = path.endsWith('/list') ? 'list' : 'images';
      for (const [k, v] of Object.entries(response.headers)) if (v !== undefined && /^x-(ratelimit|concurrency)/i.test(k)) headers[bucket][k] = v;
      return response;
    },
  };
  const ctx = { client, filter: options.filter, request };
  const count = await countNow(ctx);
  const access = { ok: true, detail: `logged in; GET ${IMAGES_PATH} answered, count ${count ?? 'absent'}` };

  const forms: FormVerdict[] = [];
  const tests: Partial<Record<'updated' | 'created', SelfTestResult>> = {};
  for (const field of ['updated', 'created'] as const) {
    const test = await selfTestKeyset({ client, filter: options.filter, request, resource: IMAGES }, field, count);
    tests[field] = test;
    forms.push(...test.verdicts.map((v) => ({ ...v, form: v.form.includes(field) ? v.form : `${v.form} (with ${field})` })));
  }

  const sorts: FormVerdict[] = [];
  /** The first sorted page's records: the images the exceptions probe picks from, without another call. */
  let sample: Array<Record<string, unknown>> | undefined;
  for (const sort of ['updated:desc', 'created:asc', 'created:desc'] as const) {
    const [field, direction] = sort.split(':') as ['updated' | 'created', 'asc' | 'desc'];
    try {
      const page = readPage(await client.get(IMAGES_PATH, { filter: options.filter, sort, pageNumber: 1, pageSize: 20 }, request), IMAGES_PATH);
      sample ??= page.data;
      const keys = page.data.map((r) => rawEpochMs(r, field) ?? NaN);
      const ordered = keys.every((k, i) => i === 0 || (direction === 'asc' ? k >= (keys[i - 1] as number) : k <= (keys[i - 1] as number)));
      sorts.push({ form: `sort=${sort}`, ok: ordered, detail: ordered ? `${keys.length} records in order` : 'records out of order' });
    } catch (error) {
      sorts.push({ form: `sort=${sort}`, ok: false, detail: describeFailure(error) });
    }
  }

  let pastCap: string;
  const resultCap = options.resultCap ?? IMAGES_RESULT_CAP;
  // The first page wholly past the cap, in pages of up to 1,000 that divide it.
  const probeSize = Math.min(1000, resultCap);
  const pageNumber = Math.floor(resultCap / probeSize) + 1;
  try {
    const page = readPage(await client.get(IMAGES_PATH, { filter: options.filter, pageNumber, pageSize: probeSize }, request), IMAGES_PATH);
    const answer = `${page.data.length} records (${page.shape}), count ${page.count ?? 'absent'}`;
    pastCap = `page ${pageNumber} of ${probeSize.toLocaleString('en-US')} answered with ${answer}`;
  } catch (error) {
    pastCap = `page ${pageNumber} of ${probeSize.toLocaleString('en-US')} refused: ${describeFailure(error)}`;
  }

  const bulk = await probeBulk(client, BULK_PATH, options.filter, options.baseUrl, request);

  const exceptions = await probeExceptions(client, sample ?? [], request, describeFailure);

  let unauthorized: string | undefined;
  if (options.unauthenticated) {
    calls++;
    try {
      await options.unauthenticated.get(IMAGES_PATH, { pageNumber: 1, pageSize: 1 }, request);
      unauthorized = 'an invalid token was ACCEPTED';
    } catch (error) {
      unauthorized = error instanceof Error ? error.message : String(error);
    }
  }

  const limit = pageNumberLimitFor(resultCap);
  const auto = decideAuto(count, limit, count !== undefined && count > limit ? tests.updated : undefined, resultCap);
  const usable = count !== undefined && (auto.strategy !== 'bulk' || bulk.ok);
  return { access, count, rateLimitHeaders: headers, forms, sorts, pastCap, bulk, unauthorized, exceptions, auto, usable, calls };
}

/** One page of a bulk list with limit 2: whether it answers, and its Link header as it really is. */
export async function probeBulk(
  client: QualysGetter,
  path: string,
  filter: string | undefined,
  baseUrl: string,
  request: RequestOptions,
): Promise<Diagnosis['bulk']> {
  try {
    const response = await client.get(path, { filter, limit: 2 }, request);
    const page = readPage(response, path);
    const link = response.headers['link'];
    const host = link ? /<\s*(\w+:\/\/[^/?#<>]+)/.exec(link)?.[1] : undefined;
    const ownHost = new URL(baseUrl).host;
    const cursor = nextPaginationQuery(link);
    const form =
      link === undefined
        ? 'no Link header'
        : link.trim().toLowerCase() === 'null'
          ? 'Link: null'
          : /<;\s*rel=next/i.test(link)
            ? 'the documented malformed form ("<;rel=next")'
            : 'a well-formed Link';
    return {
      ok: true,
      link,
      detail:
        `${page.data.length} records; ${form}` +
        `${host ? `, naming ${host}${host.endsWith(ownHost) ? '' : ` (not ${ownHost}: only its paginationQuery is used)`}` : ''}` +
        `${cursor ? `; cursor ${cursor.slice(0, 80)}` : ''}; count ${page.count ?? 'absent'}`,
    };
  } catch (error) {
    return { ok: false, link: undefined, detail: describeFailure(error) };
  }
}

export function describeFailure(error: unknown): string {
  if (error instanceof QcsError && error.code !== 'QCS_AUTH_FAILED' && error.code !== 'QCS_FORBIDDEN' && error.code !== 'QCS_ABORTED') {
    return `${error.code}: ${clip(error.message, 200)}`;
  }
  throw error;
}
