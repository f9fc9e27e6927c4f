import type { Credentials } from './auth.js';
import type { Dialect } from './dialect.js';
import type { Fault } from './faults.js';
import type { RateLimitBucket, RateLimitHeaderStyle, RateLimitMode } from './rate-limit.js';
import type { Ties } from './ties.js';

/**
 * The bulk API's Link header. "doc": the documented malformed header (other host, http, "<" instead of ">");
 * "rfc": a well-formed link to this simulator; "other-host": a well-formed https link naming another Qualys host
 * (qualysapi.qg9.apps.qualys.com); "none": no Link header at all, ever.
 */
export type LinkStyle = 'doc' | 'rfc' | 'other-host' | 'none';

/** Changes applied every `everyRequests` data requests while a crawl runs. */
export interface UpdatesDuringCrawl {
  everyRequests: number;
  /** Images rescanned (new, newest `updated`). */
  count: number;
  /** New images added, updated now. Default: 0. */
  adds?: number;
  /** Random images removed. Default: 0. */
  removes?: number;
  /** Containers changed (new, newest `updated`; some change state, e.g. RUNNING → STOPPED, with a new `stateChanged`). Default: 0. */
  containerUpdates?: number;
  /** New containers (of random images) added, updated now. Default: 0. */
  containerAdds?: number;
  /** Random containers removed. Default: 0. */
  containerRemoves?: number;
}

/** The rate limit buckets; the container ones default to Qualys' own values when left out. */
export interface RateLimits {
  list: RateLimitBucket;
  images: RateLimitBucket;
  /** GET /containers/list. Default: Qualys' 120 per 60 s. */
  containersList?: RateLimitBucket;
  /** The other /containers calls. Default: Qualys' 5000 per 60 s. */
  containers?: RateLimitBucket;
}

export interface SimulatorOptions {
  /** Interface to listen on. Default: "127.0.0.1". */
  host?: string;
  /** Port; 0 picks a free one. Default: 0. */
  port?: number;
  /** Images in the data set. Default: 1000. */
  images?: number;
  /**
   * Containers in the data set, skewed over the images (about 70% run nowhere, about 1.5% carry most, the rest run
   * 1 to 5 each). Default: twice the number of images.
   */
  containers?: number;
  /** Seed of the data set. Default: 1. */
  seed?: number;
  /** The instant the data set is anchored at (dates spread back from it). Default: 2026-11-01T00:00:00Z, so runs repeat. */
  now?: number;
  /** Accepted username/password for POST /auth and Basic auth. Default: demo / demo-password. */
  credentials?: Credentials;
  /** JWT lifetime. Default: 14400 s (4 h, as Qualys). */
  tokenTtlSec?: number;
  /** Added before every /auth and /csapi answer. Default: 0. */
  latencyMs?: number;
  /**
   * Limits per bucket, or false for none. Default: Qualys' own (list 120/60 s, images 5000/60 s, containersList
   * 120/60 s, containers 5000/60 s).
   */
  rateLimit?: RateLimits | false;
  /**
   * "fixed": a window starts at a bucket's first request and resets whole. "sliding": a request is allowed when
   * fewer than `limit` requests of its bucket were allowed in the last `windowSec`; every answer of the bucket
   * carries X-RateLimit-Limit, -Window-Sec, -Remaining and -ToWait-Sec. Default: "fixed".
   */
  rateLimitMode?: RateLimitMode;
  /** Which headers a 429 carries (in "sliding" mode ToWait-Sec is always sent; this decides Retry-After). Default: "both". */
  rateLimitHeaders?: RateLimitHeaderStyle;
  /** What /images and /containers do for a page beyond maxResultWindow. Default: "error" (400). */
  capBehaviour?: 'error' | 'empty' | 'truncate';
  /** Records one /images or /containers query can reach. Default: 10000. */
  maxResultWindow?: number;
  /** How "no matches" is answered: 204 No Content or 200 with an empty list. Default: 204. */
  emptyResult?: 204 | 200;
  /** Bulk Link header style (see LinkStyle). Default: "doc". */
  linkStyle?: LinkStyle;
  /** End of bulk data: a Link header reading "null", or none. Default: "null". */
  linkEnd?: 'null' | 'absent';
  /** Which plausible real server to behave like, where the docs leave room (see Dialect). Default: {} (the documented reading). */
  dialect?: Dialect;
  /** After generation, the first `size` images share one value of `field` (the set's median). Default: none. */
  ties?: Ties;
  /**
   * Change the data set while a crawl runs: every `everyRequests` data requests (of /images and /containers), rescan,
   * add and remove images, and change, add and remove containers when asked. Default: off.
   */
  updatesDuringCrawl?: UpdatesDuringCrawl | false;
  /** Hostile strings in a few records (formula starters, CR/LF, NUL, unicode, a 40,000-char value). Default: false. */
  hostileValues?: boolean;
  /**
   * The /images list's severity counts leave out the findings under an exception, as a tenant whose counts follow the
   * UI's exception view would send them; /vuln with applyException=false then returns more findings than the list
   * counts. Default: false (the counts include every finding).
   */
  listCountsExcludeExceptions?: boolean;
  /** GET /images/{sha}/exceptions answers 403, as Qualys' doc shows for a user without permission. Default: false. */
  exceptionsForbidden?: boolean;
  /** Faults queued from the start. Default: none. */
  faults?: Fault[];
}
