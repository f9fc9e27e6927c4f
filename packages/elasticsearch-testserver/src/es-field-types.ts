import { isIP } from 'node:net';
import { DEFAULT_DATE_FORMAT, parsesAsDate } from './es-dates.js';
import type { ErrorCause } from './es-errors.js';

/** What a field mapping says about how its values are parsed. */
export interface FieldSpec {
  type?: string;
  format?: string;
  coerce?: boolean;
}

// Integer fields truncate a fraction (coerce) but refuse a value outside the type's range, as the mapper does.
const INTEGER_RANGES: Record<string, [number, number]> = {
  byte: [-128, 127],
  short: [-32768, 32767],
  integer: [-2147483648, 2147483647],
  // The nearest doubles to ±2^63 and 2^64: JSON numbers are doubles, so a bound is checked as one.
  long: [-(2 ** 63), 2 ** 63],
  unsigned_long: [0, 2 ** 64],
};
const FLOAT_TYPES = new Set(['float', 'double', 'half_float', 'scaled_float']);
const TEXT_TYPES = new Set([
  'keyword',
  'text',
  'wildcard',
  'match_only_text',
  'constant_keyword',
  'version',
  'search_as_you_type',
  'binary',
  'counted_keyword',
]);

/** Types whose values are objects (or arrays) by design, so an object is not a type error for them. */
export const OBJECT_VALUED_TYPES = new Set([
  'object',
  'nested',
  'flattened',
  'geo_point',
  'geo_shape',
  'point',
  'shape',
  'join',
  'dense_vector',
  'sparse_vector',
  'rank_features',
  'histogram',
  'aggregate_metric_double',
  'percolator',
  'passthrough',
  'integer_range',
  'float_range',
  'long_range',
  'double_range',
  'date_range',
  'ip_range',
  'completion',
]);

/** Every field type a mapping may name; another name is refused when a template or index is created. */
export const KNOWN_TYPES = new Set([
  ...Object.keys(INTEGER_RANGES),
  ...FLOAT_TYPES,
  ...TEXT_TYPES,
  ...OBJECT_VALUED_TYPES,
  'date',
  'date_nanos',
  'boolean',
  'ip',
  'alias',
  'token_count',
  'rank_feature',
  'semantic_text',
  'annotated_text',
  'murmur3',
]);

const numeric = (value: unknown, coerce: boolean): number | undefined => {
  if (typeof value === 'number' && Number.isFinite(value)) return value;
  if (coerce && typeof value === 'string' && value.trim() !== '' && Number.isFinite(Number(value))) return Number(value);
  return undefined;
};

/** Why a concrete (non-object) value does not parse as the field's type, or undefined when it does. */
export function concreteValueError(field: FieldSpec, value: unknown): ErrorCause | undefined {
  const type = field.type ?? 'object';
  const coerce = field.coerce !== false;
  if (type === 'date' || type === 'date_nanos') {
    const format = field.format ?? DEFAULT_DATE_FORMAT;
    if (typeof value !== 'boolean' && parsesAsDate(value, format)) return undefined;
    return {
      type: 'illegal_argument_exception',
      reason: `failed to parse date field [${String(value)}] with format [${format}]`,
      caused_by: { type: 'date_time_parse_exception', reason: `Failed to parse with all enclosed parsers` },
    };
  }
  const range = INTEGER_RANGES[type];
  if (range) {
    const n = numeric(value, coerce);
    if (n === undefined) return { type: 'number_format_exception', reason: `For input string: "${String(value)}"` };
    if (!coerce && !Number.isInteger(n)) return { type: 'illegal_argument_exception', reason: `Value [${n}] has a decimal part` };
    if (Math.trunc(n) < range[0] || Math.trunc(n) > range[1])
      return { type: 'illegal_argument_exception', reason: `Value [${String(value)}] is out of range for ${type === 'integer' ? 'an' : 'a'} ${type}` };
    return undefined;
  }
  if (FLOAT_TYPES.has(type))
    return numeric(value, coerce) === undefined ? { type: 'number_format_exception', reason: `For input string: "${String(value)}"` } : undefined;
  if (type === 'boolean') {
    if (typeof value === 'boolean' || value === 'true' || value === 'false' || value === '') return undefined;
    return { type: 'illegal_argument_exception', reason: `Failed to parse value [${String(value)}] as only [true] or [false] are allowed.` };
  }
  if (type === 'ip')
    return typeof value === 'string' && isIP(value) !== 0
      ? undefined
      : { type: 'illegal_argument_exception', reason: `'${String(value)}' is not an IP string literal.` };
  return undefined;
}
