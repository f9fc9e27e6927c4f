import type { QualysGetter, RequestOptions } from '../client/types.js';
import { ForbiddenError } from '../errors.js';
import { vulnerabilityCounts } from '../normalize/normalize-image.js';
import { IMAGES_PATH } from './crawl-context.js';

/** Whether the tenant's /vuln leaves excepted findings out when not told otherwise, with the numbers seen. */
export interface ExceptionsVerdict {
  /** true: left out unless applyException=false; false: sent either way; undefined: could not be told. */
  hiddenByDefault: boolean | undefined;
  /** The image list's counts leave excepted findings out too: an image whose every finding is excepted looks clean. */
  listOmitsThem?: boolean;
  /**
   * Whether this API user may read `/images/{sha}/exceptions`, where an excepted finding's exception name, reason and
   * end date come from: false on a 403; undefined when not asked (no excepted finding seen) or the call failed otherwise.
   */
  detailsReadable?: boolean;
  detail: string;
}

/** Images tried at most: two calls each, so the whole probe stays a handful of calls. */
const TRIES = 2;

/**
 * Asks /vuln for one image's findings as Qualys sends them by default and with applyException=false, on the images
 * of `sample` (list records) with the most vulnerabilities, until one of them tells: more findings without exceptions
 * applied means the tenant hides them by default; the same number with some marked isExempted means it does not.
 */
export async function probeExceptions(
  client: QualysGetter,
  sample: ReadonlyArray<Record<string, unknown>>,
  request: RequestOptions,
  describeFailure: (error: unknown) => string,
): Promise<ExceptionsVerdict> {
  const candidates = sample
    .map((r) => ({ sha: r['sha'], total: vulnerabilityCounts(r['vulnerabilities'])?.total ?? 0 }))
    .filter((c): c is { sha: string; total: number } => typeof c.sha === 'string' && c.total > 0)
    .sort((a, b) => b.total - a.total)
    .slice(0, TRIES);
  if (candidates.length === 0) return { hiddenByDefault: undefined, detail: `not checked: no image with vulnerabilities among the ${sample.length} sampled` };
  let last = '';
  for (const { sha, total } of candidates) {
    const path = `${IMAGES_PATH}/${sha}/vuln`;
    let byDefault: unknown[];
    let all: Array<Record<string, unknown>>;
    try {
      byDefault = detailsOf((await client.get(path, { type: 'DETAILS' }, request)).body);
      all = detailsOf((await client.get(path, { type: 'DETAILS', applyException: 'false' }, request)).body) as Array<Record<string, unknown>>;
    } catch (error) {
      return { hiddenByDefault: undefined, detail: `not checked: ${describeFailure(error)}` };
    }
    const marked = all.filter((f) => typeof f === 'object' && f !== null && f['isExempted'] === true).length;
    const numbers =
      `image ${sha.slice(0, 12)}: the list counts ${total}; ${byDefault.length} findings as /vuln sends them by default, ` +
      `${all.length} with applyException=false (${marked} marked isExempted)`;
    if (all.length > byDefault.length) {
      // A list that counts as /vuln does by default shows an image whose every finding is excepted as clean, and the
      // enrichment asks no findings for an image listed clean.
      const listToo =
        total === byDefault.length ? '; the list leaves them out of its counts too, so an image whose every finding is excepted is exported as clean' : '';
      const details = await exceptionDetails(client, sha, request, describeFailure);
      return {
        hiddenByDefault: true,
        listOmitsThem: listToo !== '',
        ...details.verdict,
        detail: `HIDDEN by default (${numbers}); qcs-export sends applyException=false, so they are exported, with exempted: true${listToo}; ${details.text}`,
      };
    }
    if (marked > 0 && all.length === byDefault.length) {
      const details = await exceptionDetails(client, sha, request, describeFailure);
      return { hiddenByDefault: false, ...details.verdict, detail: `not hidden by default (${numbers}); ${details.text}` };
    }
    last = numbers;
  }
  return { hiddenByDefault: undefined, detail: `could not tell: no excepted finding seen (${last})` };
}

/** One call to the exceptions of an image with an excepted finding: whether this user may read them. */
async function exceptionDetails(
  client: QualysGetter,
  sha: string,
  request: RequestOptions,
  describeFailure: (error: unknown) => string,
): Promise<{ verdict: { detailsReadable?: boolean }; text: string }> {
  try {
    const body = (await client.get(`${IMAGES_PATH}/${sha}/exceptions`, {}, request)).body;
    const data = typeof body === 'object' && body !== null ? (body as Record<string, unknown>)['data'] : undefined;
    const count = Array.isArray(data) ? data.length : 0;
    return { verdict: { detailsReadable: true }, text: `exception details readable (${count} exceptions on that image)` };
  } catch (error) {
    if (error instanceof ForbiddenError) {
      return {
        verdict: { detailsReadable: false },
        text: 'exception details FORBIDDEN (GET …/exceptions answered 403): excepted findings are exported without their exception name, reason and end date',
      };
    }
    return { verdict: {}, text: `exception details not checked: ${describeFailure(error)}` };
  }
}

function detailsOf(body: unknown): unknown[] {
  const details = typeof body === 'object' && body !== null ? (body as Record<string, unknown>)['details'] : undefined;
  return Array.isArray(details) ? details : [];
}
