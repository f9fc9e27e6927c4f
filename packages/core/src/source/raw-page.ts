import { ProtocolError } from '../errors.js';
import type { QualysResponse } from '../client/types.js';

/** The list envelope `{ data: [...], count }`; a 204 (Qualys' "no results") reads as an empty page. */
export interface RawPage {
  data: Array<Record<string, unknown>>;
  count: number | undefined;
}

export function readPage(response: QualysResponse, what: string): RawPage {
  if (response.status === 204 || response.body === null) return { data: [], count: 0 };
  const body = response.body;
  if (typeof body !== 'object' || Array.isArray(body)) {
    throw new ProtocolError(`${what}: expected a JSON object with a "data" array, got ${Array.isArray(body) ? 'an array' : typeof body}; check that source.baseUrl is the Qualys gateway`);
  }
  const { data, count } = body as { data?: unknown; count?: unknown };
  if (data === undefined || data === null) return { data: [], count: typeof count === 'number' ? count : 0 };
  if (!Array.isArray(data)) throw new ProtocolError(`${what}: "data" is ${typeof data}, not an array`);
  for (const item of data) {
    if (typeof item !== 'object' || item === null || Array.isArray(item)) {
      throw new ProtocolError(`${what}: an item of "data" is not an object`);
    }
  }
  return { data: data as Array<Record<string, unknown>>, count: typeof count === 'number' ? count : undefined };
}

/** The raw epoch-ms value of a date field, as the server compares it in QQL (string or number on the wire). */
export function rawEpochMs(record: Record<string, unknown>, field: string): number | undefined {
  const v = record[field];
  const n = typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' ? Number(v) : NaN;
  return Number.isFinite(n) ? n : undefined;
}

export function describeRecord(record: Record<string, unknown>): string {
  const id = record['sha'] ?? record['uuid'] ?? record['imageId'];
  return typeof id === 'string' ? id : '(no sha)';
}
