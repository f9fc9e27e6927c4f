import { sleep } from '../client/wait.js';
import type { RequestOptions } from '../client/types.js';
import type { RawPage } from './raw-page.js';

/** Times an empty page is asked for again when the server's count says records remain. */
export const EMPTY_PAGE_REASKS = 3;

/**
 * Fetches a page; when it arrives empty although records were expected (a 204, `data: null`, no `data`, or
 * `data: []` in the middle of a crawl), asks again a few times with a short pause, since such a page is more
 * often a server hiccup than the end. Returns the last answer; the caller decides what a persistent empty
 * page means.
 */
export async function fetchExpectingRecords(
  fetch: () => Promise<RawPage>,
  expectRecords: (page: RawPage) => boolean,
  request: RequestOptions,
  onReask?: (page: RawPage, attempt: number) => void,
): Promise<RawPage> {
  let page = await fetch();
  for (let attempt = 1; attempt <= EMPTY_PAGE_REASKS && page.data.length === 0 && expectRecords(page); attempt++) {
    onReask?.(page, attempt);
    await sleep(100 * 2 ** (attempt - 1), request.signal);
    page = await fetch();
  }
  return page;
}

/**
 * Marks a promise that is awaited later (a page fetched ahead) as handled now: if the run is aborted while the
 * crawl waits on something else, its rejection must not count as unhandled and end the process. Awaiting the
 * returned promise still throws.
 */
export function fetchedAhead<T>(promise: Promise<T>): Promise<T> {
  promise.catch(() => undefined);
  return promise;
}
