import type { QualysGetter } from '../client/types.js';
import type { Logger } from '../logger.js';
import type { CountMismatch } from './count-check.js';

/** Where an image's findings come from: the image details (one call, the Splunk add-on's choice) or `/vuln`. */
export type FindingsEndpoint = 'details' | 'vuln';

export interface EnrichStats {
  /** Detail or /vuln calls made. */
  calls: number;
  /** Images whose counts say they have no vulnerability: no call needed. */
  skippedClean: number;
  /**
   * Images gone between the list and their details: the call answered 404 (or 204) and the image list no longer
   * holds them. Exported without findings, warned about, and counted here.
   */
  missing: number;
  /** The first few of them, so a run with --quiet and --json still names them. */
  missingShas: string[];
  /** Image-list calls made to tell a gone image from a listed one after a 404 (or 204): one per such answer. */
  rechecks: number;
  /** Findings read. */
  findings: number;
  /** Findings the server marked as under an exception (`isExempted`): exported, with `exempted: true`. */
  exempted: number;
  /** `GET …/images/{sha}/exceptions` calls made: one per image with an exempted finding whose record lists none. */
  exceptionCalls: number;
  /** Of those, answered 403: the API user may not read exceptions; the findings stay marked, without the details. */
  exceptionsForbidden: number;
  /** Images with exempted findings for which Qualys listed no exception at all. */
  exceptionsUnknown: number;
  /**
   * Images Qualys holds no vulnerability data for (never scanned: null counts in the list, or no counts and no scan
   * date from the bulk API) whose answer had no findings either: exported with null counts and no finding rows.
   */
  notScanned: number;
  /** Images whose severity counts in the list disagree with the findings their answer held. */
  countMismatches: number;
  /** The first few of them, with both sides. */
  mismatchExamples: CountMismatch[];
}

export interface EnrichOptions {
  client: QualysGetter;
  /** Default: "details". */
  from?: FindingsEndpoint;
  /**
   * Calls in flight at once. The client's rate governor paces them to the `/images/**` budget (5,000 a minute, shared
   * with every other tool of the subscription), so this bounds latency-bound throughput, not the rate: at 0.4 s a
   * call, 32 in flight reach about 80 calls a second, the whole budget. Default: 32.
   */
  concurrency?: number;
  /**
   * Images per batch handed on. A page of 1,000 images with a hundred findings each is 100,000 findings; handing them
   * on in smaller batches keeps memory to what a few dozen images hold. Default: 4 × concurrency, at least 64.
   */
  batchImages?: number;
  /**
   * Ask for the findings of images the list counts as clean too. Needed where the list's counts leave excepted
   * findings out (doctor tells): an image whose every finding is excepted is then listed clean. Default: false (an
   * image listed clean needs no call).
   */
  includeClean?: boolean;
  /**
   * Read the exception (name, reason, end date) over each image's exempted findings: one `GET …/exceptions` per image
   * that has one, on the `/images/**` budget. Default: true.
   */
  exceptionDetails?: boolean;
  /** The instant an exception must be active at: the export's start. Default: when the image is enriched. */
  now?: Date;
  signal?: AbortSignal;
  logger?: Logger;
}

/** Stats of an enrichment that has made no call yet. */
export function emptyEnrichStats(): EnrichStats {
  return {
    calls: 0,
    skippedClean: 0,
    missing: 0,
    missingShas: [],
    rechecks: 0,
    findings: 0,
    exempted: 0,
    exceptionCalls: 0,
    exceptionsForbidden: 0,
    exceptionsUnknown: 0,
    notScanned: 0,
    countMismatches: 0,
    mismatchExamples: [],
  };
}
