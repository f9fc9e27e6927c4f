import type { QualysGetter, QualysResponse, RequestOptions } from '../client/types.js';
import { ForbiddenError, HttpError } from '../errors.js';
import { decideAuto } from './choose-strategy.js';
import { countNow } from './count-now.js';
import { clip } from './clip.js';
import { describeFailure, probeBulk, type Diagnosis } from './diagnose.js';
import { CONTAINERS, CONTAINERS_BULK_PATH, CONTAINERS_PATH, CONTAINERS_RESULT_CAP } from './resource.js';
import { selfTestKeyset, type FormVerdict } from './self-test.js';
import { pageNumberLimitFor } from './settings.js';
import type { ResolvedStrategy } from './types.js';

export interface ContainerDiagnosis {
  /** /containers answered for the filter; not ok when the API user may not read containers (403) or the server has no such list. */
  access: { ok: boolean; detail: string };
  count: number | undefined;
  /** Rate-limit headers seen on the containers' own budgets. */
  rateLimitHeaders: Record<'containers' | 'containers/list', Record<string, string>>;
  /** The keyset forms on /containers (`updated`), as for images. */
  forms: FormVerdict[];
  bulk: Diagnosis['bulk'];
  auto: { strategy: ResolvedStrategy; reason: string } | undefined;
  /** Whether some strategy can export this filter's containers completely and prove it. */
  usable: boolean;
  calls: number;
}

/**
 * `qcs-export doctor`'s look at the container endpoints, read-only: whether /containers answers for the filter and
 * with a count, whether the keyset forms work on it, the /containers/list Link header as it really is, the containers'
 * rate-limit headers, and the strategy auto would choose. About a dozen calls. A 403 or 404 on /containers is
 * reported (the API user may read images only), not thrown; a failed login is thrown, as for images.
 */
export async function diagnoseContainers(options: {
  client: QualysGetter;
  filter: string | undefined;
  baseUrl: string;
  request?: RequestOptions;
}): Promise<ContainerDiagnosis> {
  let calls = 0;
  const request = options.request ?? {};
  const headers: ContainerDiagnosis['rateLimitHeaders'] = { containers: {}, 'containers/list': {} };
  const client: QualysGetter = {
    async get<T>(path: string, query?: Record<string, string | number | undefined>, o?: RequestOptions): Promise<QualysResponse<T>> {
      calls++;
      const response = await options.client.get<T>(path, query, o);
      const bucket = path.endsWith('/list') ? 'containers/list' : 'containers';
      for (const [k, v] of Object.entries(response.headers)) if (v !== undefined && /^x-(ratelimit|concurrency)/i.test(k)) headers[bucket][k] = v;
      return response;
    },
  };
  let count: number | undefined;
  try {
    count = await countNow({ client, filter: options.filter, request, resource: CONTAINERS });
  } catch (error) {
    if (!(error instanceof ForbiddenError) && !(error instanceof HttpError && (error.status === 403 || error.status === 404))) {
      return unreadable(describeFailure(error), headers, calls);
    }
    return unreadable(`GET ${CONTAINERS_PATH} refused: ${clip(error.message, 200)}; give the API user permission to read containers`, headers, calls);
  }
  const access = { ok: true, detail: `GET ${CONTAINERS_PATH} answered, count ${count ?? 'absent'}` };
  const test = await selfTestKeyset({ client, filter: options.filter, request, resource: CONTAINERS }, 'updated', count);
  const bulk = await probeBulk(client, CONTAINERS_BULK_PATH, options.filter, options.baseUrl, request);
  const limit = pageNumberLimitFor(CONTAINERS_RESULT_CAP);
  const auto = decideAuto(count, limit, count !== undefined && count > limit ? test : undefined, CONTAINERS_RESULT_CAP, CONTAINERS);
  const usable = count !== undefined && (auto.strategy !== 'bulk' || bulk.ok);
  return { access, count, rateLimitHeaders: headers, forms: test.verdicts, bulk, auto, usable, calls };
}

function unreadable(detail: string, headers: ContainerDiagnosis['rateLimitHeaders'], calls: number): ContainerDiagnosis {
  return {
    access: { ok: false, detail },
    count: undefined,
    rateLimitHeaders: headers,
    forms: [],
    bulk: { ok: false, link: undefined, detail: 'not tried' },
    auto: undefined,
    usable: false,
    calls,
  };
}
