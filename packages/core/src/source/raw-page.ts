import { ProtocolError } from '../errors.js';
import type { QualysResponse } from '../client/types.js';

/**
 * The list envelope `{ data: [...], count }`. `count` is the server's number of matches for the whole query
 * (undefined when it sends none). `shape` says how an empty page arrived, because a page with no records in
 * the middle of a crawl is only an end when the server's own count agrees.
 */
export interface RawPage {
  data: Array<Record<string, unknown>>;
  count: number | undefined;
  shape: 'records' | 'empty' | 'null' | 'absent' | 'no-content';
}

export function readPage(response: QualysResponse, what: string): RawPage {
  // 204 is Qualys' "no results" (docs/qualys-api.md §1): a count of 0, unless later evidence contradicts it.
  if (response.status === 204 || response.body === null) return { data: [], count: 0, shape: 'no-content' };
  const body = response.body;
  if (typeof body !== 'object' || Array.isArray(body)) {
    throw new ProtocolError(
      `${what}: expected a JSON object with a "data" array, got ${Array.isArray(body) ? 'an array' : typeof body}; ` +
        'check that source.baseUrl is the Qualys gateway',
    );
  }
  const { data, count } = body as { data?: unknown; count?: unknown };
  const knownCount = typeof count === 'number' && Number.isInteger(count) && count >= 0 ? count : undefined;
  if (data === undefined) return { data: [], count: knownCount, shape: 'absent' };
  if (data === null) return { data: [], count: knownCount, shape: 'null' };
  if (!Array.isArray(data)) throw new ProtocolError(`${what}: "data" is ${typeof data}, not an array`);
  for (const item of data) {
    if (typeof item !== 'object' || item === null || Array.isArray(item)) {
      throw new ProtocolError(`${what}: an item of "data" is not an object`);
    }
  }
  return { data: data as Array<Record<string, unknown>>, count: knownCount, shape: data.length === 0 ? 'empty' : 'records' };
}

/** The raw epoch-ms value of a date field, as the server compares it in QQL (string or number on the wire). */
export function rawEpochMs(record: Record<string, unknown>, field: string): number | undefined {
  const v = record[field];
  const n = typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' ? Number(v) : NaN;
  return Number.isFinite(n) ? n : undefined;
}

/** A record as messages name it: by its key field, else the identifiers images and containers share. */
export function describeRecord(record: Record<string, unknown>, keyField = 'sha'): string {
  const id = record[keyField] ?? record['sha'] ?? record['uuid'] ?? record['imageId'];
  return typeof id === 'string' ? id : `(no ${keyField})`;
}

/** How a page that held nothing arrived, for messages. */
export function describeEmpty(page: RawPage): string {
  switch (page.shape) {
    case 'no-content':
      return 'HTTP 204 No Content';
    case 'null':
      return '"data": null';
    case 'absent':
      return 'no "data" field';
    default:
      return '"data": []';
  }
}
