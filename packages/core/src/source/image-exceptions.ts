import { ForbiddenError, HttpError } from '../errors.js';
import { isPlainObject, toIsoDate, toStr } from '../normalize/values.js';
import type { FindingException, ImageRecord } from '../record.js';
import type { EnrichOptions, EnrichStats } from './enrich-types.js';

/**
 * The exception over an image's exempted findings: from the image record's own `exceptions` when Qualys filled it,
 * else one `GET /csapi/v1.3/images/{sha}/exceptions` (on the `/images/**` budget, only for images with an exempted
 * finding). Qualys does not say which QIDs an exception covers, so the image's active exceptions (started, not
 * ended at `now`) are combined; when none is active, all of them (Qualys still marks the findings exempted).
 * A 403 (the API user may not read exceptions, as Qualys' doc warns) or a 404 gives null: the findings stay marked
 * exempted without the details, and the run counts it; after a 403 no other image is asked. Any other failure fails the run like every findings call.
 */
export async function exceptionOf(image: ImageRecord, options: EnrichOptions, stats: EnrichStats, now: Date): Promise<FindingException | null> {
  const listed = image.extra['exceptions'];
  let entries = Array.isArray(listed) ? listed.filter(isPlainObject) : [];
  if (entries.length === 0) {
    // A 403 is the API user's permission, the same for every image: asking again would only spend the budget.
    if (stats.exceptionsForbidden > 0) {
      stats.exceptionsForbidden++;
      return null;
    }
    const path = `/csapi/v1.3/images/${encodeURIComponent(image.sha)}/exceptions`;
    stats.exceptionCalls++;
    try {
      const { body } = await options.client.get(path, {}, options.signal ? { signal: options.signal } : {});
      const data = isPlainObject(body) ? body['data'] : undefined;
      entries = Array.isArray(data) ? data.filter(isPlainObject) : [];
    } catch (error) {
      if (error instanceof ForbiddenError) {
        stats.exceptionsForbidden++;
        return null;
      }
      if (error instanceof HttpError && error.status === 404) return null;
      throw error;
    }
  }
  const all = entries.map(readException);
  if (all.length === 0) {
    stats.exceptionsUnknown++;
    return null;
  }
  const at = now.toISOString();
  const active = all.filter((e) => (e.startsAt === null || e.startsAt <= at) && (e.endsAt === null || e.endsAt > at));
  return combine(active.length > 0 ? active : all);
}

function readException(raw: Record<string, unknown>): FindingException {
  return {
    name: toStr(raw['name']),
    reason: toStr(raw['reason']),
    explanation: toStr(raw['explanation']),
    startsAt: toIsoDate(raw['startDate']),
    endsAt: toIsoDate(raw['endDate']),
  };
}

/** Several exceptions as one: names and distinct reasons joined, the latest start, the earliest end. */
function combine(list: readonly FindingException[]): FindingException {
  if (list.length === 1) return list[0] as FindingException;
  const joined = (values: Array<string | null>) => {
    const distinct = [...new Set(values.filter((v): v is string => v !== null))];
    return distinct.length === 0 ? null : distinct.join('; ');
  };
  const dates = (values: Array<string | null>) => values.filter((v): v is string => v !== null).sort();
  return {
    name: joined(list.map((e) => e.name)),
    reason: joined(list.map((e) => e.reason)),
    explanation: joined(list.map((e) => e.explanation)),
    startsAt: dates(list.map((e) => e.startsAt)).at(-1) ?? null,
    endsAt: dates(list.map((e) => e.endsAt))[0] ?? null,
  };
}
