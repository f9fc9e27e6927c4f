import type { IsoDate } from '../record.js';

/**
 * Qualys sends dates as epoch-ms strings, epoch-ms numbers and ISO strings, sometimes in one record.
 * Numbers below 1e11 are read as epoch SECONDS (1e11 ms is only 1973, so no real ms date is that small, while
 * 1e11 s is the year 5138). 0 and negative values are Qualys' "never"/"unknown" sentinels (0 = 1970 from
 * reproducible builds, -631152000000 = 1950 on software lifecycle dates) and become null: a date column that
 * says 1970 is wrong to an auditor, an empty one is honest.
 */
export function toIsoDate(value: unknown): IsoDate | null {
  if (value === null || value === undefined) return null;
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? null : value.toISOString();
  if (typeof value === 'number') return epochToIso(value);
  if (typeof value !== 'string') return null;
  const s = value.trim();
  if (s === '' || s === 'null') return null;
  if (/^-?\d+(\.\d+)?$/.test(s)) return epochToIso(Number(s));
  // Only strings that look like a date; Date.parse accepts too much ("1", "May") to trust on its own.
  if (!/^\d{4}-\d{2}-\d{2}/.test(s)) return null;
  const ms = Date.parse(s);
  return Number.isNaN(ms) ? null : new Date(ms).toISOString();
}

function epochToIso(n: number): IsoDate | null {
  if (!Number.isFinite(n) || n <= 0) return null;
  const ms = n < 1e11 ? n * 1000 : n;
  const d = new Date(ms);
  return Number.isNaN(d.getTime()) ? null : d.toISOString();
}

/** True when toIsoDate turned the value down although it was not empty: the caller keeps the raw value. */
export function isUnreadableDate(value: unknown, converted: IsoDate | null): boolean {
  if (converted !== null || value === null || value === undefined) return false;
  // 0 and negative epochs are Qualys' "never" sentinels; a positive one no date can hold (nanoseconds, a 20-digit
  // integer kept exact as a string) is data, kept raw.
  if (typeof value === 'number') return !Number.isFinite(value) || value > 0;
  if (typeof value === 'string') {
    const s = value.trim();
    if (/^-?\d+(\.\d+)?$/.test(s)) return Number(s) > 0;
    return !/^(|null)$/.test(s);
  }
  return true;
}

/**
 * A finite number, or a string holding one; anything else is null. So is a string holding an integer beyond 2^53 (the
 * client keeps such literals exact as strings): no number holds it exactly, and the caller keeps the string instead.
 */
export function toNumber(value: unknown): number | null {
  if (typeof value === 'number') return Number.isFinite(value) ? value : null;
  if (typeof value === 'string' && value.trim() !== '') {
    const n = Number(value);
    if (Number.isInteger(n) && !Number.isSafeInteger(n) && /^\s*-?\d+\s*$/.test(value)) return null;
    return Number.isFinite(n) ? n : null;
  }
  return null;
}

/** Counts are whole and non-negative. */
export function toCount(value: unknown): number | null {
  const n = toNumber(value);
  return n !== null && n >= 0 && Number.isInteger(n) ? n : null;
}

export function toBool(value: unknown): boolean | null {
  if (typeof value === 'boolean') return value;
  if (value === 'true') return true;
  if (value === 'false') return false;
  return null;
}

/** Strings stay strings; numbers and booleans are stringified; the string "null" and objects are null. */
export function toStr(value: unknown): string | null {
  if (typeof value === 'string') return value === 'null' ? null : value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return null;
}

/** null → [], a lone string → [it], an array → its items as strings (null items dropped). */
export function toStringArray(value: unknown): string[] {
  if (value === null || value === undefined) return [];
  if (typeof value === 'string') return [value];
  if (!Array.isArray(value)) return [];
  const out: string[] = [];
  for (const item of value) {
    if (item === null || item === undefined) continue;
    out.push(typeof item === 'string' ? item : typeof item === 'object' ? JSON.stringify(item) : String(item));
  }
  return out;
}

/**
 * Sets an own data property, whatever the key: `target[key] = value` with the key "__proto__" (a key JSON.parse keeps
 * as data) would replace the object's prototype instead, or be dropped, and the field would be lost.
 */
export function setField(target: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
