import { HttpError, ProtocolError } from '../errors.js';
import { normalizeImage } from '../normalize/normalize-image.js';
import type { ImageRecord } from '../record.js';
import { countMismatch, MISMATCH_EXAMPLES } from './count-check.js';
import type { EnrichOptions, EnrichStats } from './enrich-types.js';
import { exceptionOf } from './image-exceptions.js';
import { recheckGone } from './image-recheck.js';

/**
 * Not "no vulnerabilities" but "nobody knows": the list said null (never scanned), or the bulk API, which never
 * gives counts, gives no scan date either. Zero counts for such an image would be a claim nobody made.
 */
function countsUnknown(image: ImageRecord): boolean {
  return image.vulnerabilityCounts === null && (image.origin === 'images' || image.lastScanned === null);
}

/** One image with its findings, or as it was when it is gone; throws when its findings would otherwise be lost. */
export async function enrichImage(image: ImageRecord, options: EnrichOptions, stats: EnrichStats): Promise<ImageRecord> {
  if (image.vulnerabilityCounts?.total === 0 && options.includeClean !== true) {
    stats.skippedClean++;
    return { ...image, vulnerabilities: [] };
  }
  const from = options.from ?? 'details';
  const path = `/csapi/v1.3/images/${encodeURIComponent(image.sha)}${from === 'vuln' ? '/vuln' : ''}`;
  const request = options.signal ? { signal: options.signal } : {};
  // /vuln leaves excepted findings out unless told not to (Qualys: applyException defaults to true), which would
  // drop them from the export without a trace; sent, they come marked with isExempted.
  const query = from === 'vuln' ? { type: 'DETAILS', applyException: 'false' } : {};
  stats.calls++;
  let body: unknown;
  let absent: string | undefined;
  try {
    const response = await options.client.get(path, query, request);
    body = response.body;
    if (body === null) absent = `GET ${path} answered ${response.status === 204 ? '204 No Content' : 'with no body'}`;
  } catch (error) {
    if (!(error instanceof HttpError && error.status === 404)) throw error;
    absent = `GET ${path} answered 404`;
  }
  if (absent !== undefined) return gone(image, absent, options, stats);

  const field = from === 'vuln' ? 'details' : 'vulnerabilities';
  const raw = typeof body === 'object' ? (body as Record<string, unknown>)[field] : undefined;
  if (!Array.isArray(raw)) {
    // An answer without a findings list for an image the list says is vulnerable is not "no findings": exporting it
    // so would drop them without a trace. An image with unknown counts has no known findings either.
    if ((image.vulnerabilityCounts?.total ?? 0) > 0) {
      throw new ProtocolError(
        `GET ${path} answered without a "${field}" list, although the image list counts ${image.vulnerabilityCounts?.total} vulnerabilities ` +
          `for image ${image.sha}; the findings cannot be exported. Run the export again; if this repeats, the server's answer has ` +
          `a shape this version does not read: report it.`,
      );
    }
    stats.notScanned++;
    return { ...image, vulnerabilities: null, vulnerabilityCounts: null };
  }
  // The findings through the same normalizer as every record, so they follow the same rules (dates, counts, extra).
  const parsed = normalizeImage({ sha: image.sha, vulnerabilities: raw }, 'images/details');
  const findings = parsed.vulnerabilities ?? [];
  // Every finding row is keyed by its QID: one without could only be dropped, so it fails the run instead.
  const unkeyed = findings.filter((f) => f.qid === null).length;
  if (unkeyed > 0 || findings.length !== raw.length) {
    throw new ProtocolError(
      `GET ${path} sent ${unkeyed > 0 ? `${unkeyed} findings without a "qid"` : 'findings that are not objects'} for image ${image.sha}; ` +
        `every finding is keyed by its QID, so the export cannot continue. Report the answer's shape.`,
    );
  }
  if (findings.length === 0 && countsUnknown(image)) {
    stats.notScanned++;
    return { ...image, vulnerabilities: null, vulnerabilityCounts: null };
  }
  stats.findings += findings.length;
  const exempted = findings.filter((f) => f.isExempted === true).length;
  stats.exempted += exempted;
  if (exempted > 0 && options.exceptionDetails !== false) {
    const exception = await exceptionOf(image, options, stats, options.now ?? new Date());
    if (exception !== null) for (const f of findings) if (f.isExempted === true) f.exception = exception;
  }
  if (image.vulnerabilityCounts !== null) {
    const mismatch = countMismatch(image.sha, image.vulnerabilityCounts, findings);
    if (mismatch) {
      stats.countMismatches++;
      if (stats.mismatchExamples.length < MISMATCH_EXAMPLES) stats.mismatchExamples.push(mismatch);
    }
  }
  return { ...image, vulnerabilities: findings, vulnerabilityCounts: image.vulnerabilityCounts ?? parsed.vulnerabilityCounts };
}

/**
 * The findings call found no image. Exported without findings only when the image list no longer holds it either
 * (deleted since the list was read); an image still listed fails the run, since its findings would be lost silently.
 */
async function gone(image: ImageRecord, failed: string, options: EnrichOptions, stats: EnrichStats): Promise<ImageRecord> {
  await recheckGone(image.sha, failed, { what: 'its findings', pronoun: 'them', permission: 'its vulnerabilities', without: 'findings' }, options, stats);
  return { ...image, vulnerabilities: null };
}
