import type { QualysGetter, QualysResponse, RequestOptions } from '../client/types.js';
import { FilterRejectedError, HttpError, SourceInconsistentError } from '../errors.js';
import { type Logger, silentLogger } from '../logger.js';
import { MISMATCH_EXAMPLES } from './count-check.js';
import { IMAGES_PATH } from './crawl-context.js';
import { describeRecord, readPage } from './raw-page.js';

/**
 * Whether the server still lists an image whose details or /vuln answered 404 (or 204): one call to the image list
 * filtered by its sha, on the same `/images/**` budget as the findings calls. Only an image the list no longer holds
 * is gone; a listed image whose findings cannot be read would otherwise be exported as if it had none.
 * Throws when the answer cannot settle it (a 404 or a refused filter, or other images in the answer), because
 * guessing "gone" there would drop findings without a trace.
 */
export async function stillListed(client: QualysGetter, sha: string, failed: string, request: RequestOptions): Promise<boolean> {
  const query = `GET ${IMAGES_PATH}?filter=sha:${sha}`;
  let response: QualysResponse;
  try {
    response = await client.get(IMAGES_PATH, { filter: `sha:${sha}`, pageNumber: 1, pageSize: 1 }, request);
  } catch (error) {
    if (!(error instanceof HttpError && error.status === 404) && !(error instanceof FilterRejectedError)) throw error;
    throw new SourceInconsistentError(
      `${failed} for image ${sha}, and checking whether the image still exists failed too (${query}: ${error.message}), so ` +
        'whether its findings are lost cannot be told. Run the export again; if this repeats, report both answers.',
    );
  }
  const page = readPage(response, query);
  const others = page.data.filter((r) => r['sha'] !== sha);
  if (others.length > 0) {
    throw new SourceInconsistentError(
      `${failed} for image ${sha}; checking whether the image still exists with ${query} returned another image ` +
        `(${describeRecord(others[0] as Record<string, unknown>)}): the server did not apply the filter, so whether the image is gone cannot be told. ` +
        'Run the export again; if this repeats, report it.',
    );
  }
  return page.data.length > 0 || (page.count ?? 0) > 0;
}

/** What an image call that answered 404 was to read, in the words its messages use. */
export interface LostPart {
  /** "its findings", "its software". */
  what: string;
  /** The pronoun for it: "them", "it". */
  pronoun: string;
  /** What the API user may need permission to read: "its vulnerabilities". */
  permission: string;
  /** What the image is exported without: "findings". */
  without: string;
}

/**
 * A call for part of an image (its findings, its software) answered 404. The image is exported without that part
 * only when the image list no longer holds it either (deleted since the list was read): counted, with an example
 * sha, and warned. An image still listed fails the run, since what the call would have read would be lost silently.
 */
export async function recheckGone(
  sha: string,
  failed: string,
  lost: LostPart,
  deps: { client: QualysGetter; signal?: AbortSignal | undefined; logger?: Logger | undefined },
  stats: { rechecks: number; missing: number; missingShas: string[] },
): Promise<void> {
  stats.rechecks++;
  if (await stillListed(deps.client, sha, failed, deps.signal ? { signal: deps.signal } : {})) {
    throw new SourceInconsistentError(
      `${failed} for image ${sha}, but the image list still holds it (GET /csapi/v1.3/images?filter=sha:${sha}): ${lost.what} ` +
        `cannot be read, and exporting it without ${lost.pronoun} would hide ${lost.pronoun}. Run the export again; if this repeats, check the image in ` +
        `the Qualys UI and the API user's permission to read ${lost.permission}, or report it.`,
    );
  }
  stats.missing++;
  if (stats.missingShas.length < MISMATCH_EXAMPLES) stats.missingShas.push(sha);
  (deps.logger ?? silentLogger).warn(
    `image ${sha} is gone: ${failed} and the image list no longer holds it (deleted since the list was read); exported without ${lost.without}`,
  );
}
