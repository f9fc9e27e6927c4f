import type { PageInfo } from '@qcs-export/core';

/**
 * Records per second of the list being read, measured from its first page: the time before that page went to the
 * login, the first page's wait and the strategy's probes, which the rest of the list does not take again, so an
 * ETA counting it would start too long. A new list (another noun, or a count that starts again) is measured anew.
 */
export interface RateMeter {
  /** Takes a page's counts at time `at` (ms); returns the rate so far, or undefined before two pages set it apart. */
  rateAt(info: PageInfo, at: number): number | undefined;
}

export function createRateMeter(): RateMeter {
  let first: { at: number; records: number; noun: string | undefined } | undefined;
  return {
    rateAt(info, at) {
      if (first === undefined || info.noun !== first.noun || info.totalRecords < first.records) {
        first = { at, records: info.totalRecords, noun: info.noun };
      }
      const seconds = (at - first.at) / 1000;
      const records = info.totalRecords - first.records;
      return seconds > 0 && records > 0 ? records / seconds : undefined;
    },
  };
}
