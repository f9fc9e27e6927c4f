/**
 * Date parsing as a date field does it. The default format, `strict_date_optional_time||epoch_millis`, is checked
 * field by field (a 30 February is refused, as java.time refuses it), because a lenient check here would let a
 * sink pass tests with values a real cluster rejects.
 */

const ISO = /^(\d{4})(?:-(\d{2})(?:-(\d{2})(?:T(\d{2})(?::(\d{2})(?::(\d{2})(?:[.,]\d{1,9})?)?)?(Z|[+-](\d{2})(?::?(\d{2}))?)?)?)?)?$/;
const EPOCH = /^-?\d+(\.\d+)?$/;
const SLASHED = /^\d{4}\/\d{2}\/\d{2}( \d{2}:\d{2}:\d{2})?$/;

export const DEFAULT_DATE_FORMAT = 'strict_date_optional_time||epoch_millis';

const MONTH_DAYS = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

// Runs for every date value of every document, so it avoids allocating.
function isIsoDate(text: string): boolean {
  const m = ISO.exec(text);
  if (!m) return false;
  const month = m[2] === undefined ? 1 : Number(m[2]);
  if (month < 1 || month > 12) return false;
  if (m[3] !== undefined) {
    const year = Number(m[1]);
    const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
    const day = Number(m[3]);
    if (day < 1 || day > (month === 2 && leap ? 29 : (MONTH_DAYS[month - 1] as number))) return false;
  }
  if (m[4] !== undefined && Number(m[4]) > 23) return false;
  if (m[5] !== undefined && Number(m[5]) > 59) return false;
  if (m[6] !== undefined && Number(m[6]) > 59) return false;
  if (m[8] !== undefined && Number(m[8]) > 18) return false;
  return m[9] === undefined || Number(m[9]) <= 59;
}

const isEpoch = (value: unknown) => (typeof value === 'number' && Number.isFinite(value)) || (typeof value === 'string' && EPOCH.test(value));

/** Turns a java.time pattern such as `yyyy/MM/dd HH:mm:ss` into a regular expression, or undefined for letters it does not know. */
function patternToRegExp(pattern: string): RegExp | undefined {
  const tokens: Record<string, string> = {
    yyyy: '\\d{4}',
    uuuu: '\\d{4}',
    MM: '\\d{2}',
    dd: '\\d{2}',
    HH: '\\d{2}',
    mm: '\\d{2}',
    ss: '\\d{2}',
    SSS: '\\d{3}',
    Z: '[+-]\\d{4}',
    XXX: '(?:Z|[+-]\\d{2}:\\d{2})',
    X: '(?:Z|[+-]\\d{2}(?:\\d{2})?)',
  };
  let out = '';
  for (let i = 0; i < pattern.length; ) {
    const quoted = /^'([^']*)'/.exec(pattern.slice(i));
    if (quoted) {
      out += (quoted[1] as string).replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
      i += quoted[0].length;
      continue;
    }
    const token = Object.keys(tokens).find((t) => pattern.startsWith(t, i));
    if (token) {
      out += tokens[token];
      i += token.length;
      continue;
    }
    const ch = pattern[i] as string;
    if (/[a-zA-Z]/.test(ch)) return undefined;
    out += ch.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
    i += 1;
  }
  return new RegExp(`^${out}$`);
}

/** Whether one named or custom format parses the value; undefined when the format is one this server cannot judge. */
function parsesWith(format: string, value: unknown): boolean | undefined {
  switch (format) {
    case 'strict_date_optional_time':
    case 'date_optional_time':
    case 'strict_date_optional_time_nanos':
    case 'strict_date_time':
    case 'date_time':
    case 'strict_date_time_no_millis':
    case 'date_time_no_millis':
      return typeof value === 'string' && isIsoDate(value);
    case 'strict_date':
    case 'date':
      return typeof value === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(value) && isIsoDate(value);
    case 'epoch_millis':
    case 'epoch_second':
      return isEpoch(value);
  }
  const re = patternToRegExp(format);
  return re === undefined ? undefined : typeof value === 'string' && re.test(value);
}

const formatsOf = new Map<string, string[]>();

/** Whether a date field with this `format` accepts the value. A format this server cannot read accepts anything rather than refuse good data. */
export function parsesAsDate(value: unknown, format = DEFAULT_DATE_FORMAT): boolean {
  let formats = formatsOf.get(format);
  if (!formats) {
    formats = format.split('||').map((f) => f.trim());
    formatsOf.set(format, formats);
  }
  for (const f of formats) if (parsesWith(f, value) !== false) return true;
  return false;
}

/** The mapping dynamic date detection gives a string, if any (the default `dynamic_date_formats`). */
export function detectDate(text: string): Record<string, unknown> | undefined {
  // Elasticsearch skips detection for strings without a separator, so "2024" or "1" stay text.
  if (!/[-:/]/.test(text)) return undefined;
  if (isIsoDate(text)) return { type: 'date' };
  if (SLASHED.test(text)) return { type: 'date', format: 'yyyy/MM/dd HH:mm:ss||yyyy/MM/dd||epoch_millis' };
  return undefined;
}

/**
 * A `strict_date_optional_time` value as epoch milliseconds, UTC unless it has an offset; undefined when it is not
 * one. With `roundUp` (a range's lte or gt) the missing time fields are filled with their last value (23:59:59.999),
 * as a node's round-up parser does; missing month and day stay 01, as the node documents.
 */
export function isoToMillis(text: string, roundUp = false): number | undefined {
  if (!isIsoDate(text)) return undefined;
  const m = ISO.exec(text) as RegExpExecArray;
  const part = (i: number, missing: number) => (m[i] === undefined ? missing : Number(m[i]));
  const fraction = /[.,](\d{1,9})/.exec(text)?.[1];
  const millis = fraction === undefined ? (roundUp ? 999 : 0) : Number(fraction.padEnd(3, '0').slice(0, 3));
  const utc = Date.UTC(Number(m[1]), part(2, 1) - 1, part(3, 1), part(4, roundUp ? 23 : 0), part(5, roundUp ? 59 : 0), part(6, roundUp ? 59 : 0), millis);
  const zone = m[7];
  if (zone === undefined || zone === 'Z') return utc;
  const sign = zone.startsWith('-') ? -1 : 1;
  return utc - sign * (part(8, 0) * 60 + part(9, 0)) * 60_000;
}

/** A date field's value (or a date given in a query) as epoch milliseconds: ISO first, then epoch_millis, as the default format tries them. */
export function dateToMillis(value: unknown, roundUp = false): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? value : undefined;
  if (typeof value !== 'string') return undefined;
  return isoToMillis(value, roundUp) ?? (EPOCH.test(value) ? Number(value) : undefined);
}
