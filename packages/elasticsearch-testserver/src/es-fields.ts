import { dateToMillis } from './es-dates.js';
import type { FieldMapping } from './es-mappings.js';

const NUMERIC = new Set(['long', 'integer', 'short', 'byte', 'double', 'float', 'half_float', 'scaled_float', 'unsigned_long']);
const TEXT = new Set(['text', 'match_only_text', 'search_as_you_type']);

/** How a field's values are compared: as dates, numbers, booleans, analysed text or exact terms. */
export type FieldKind = 'date' | 'number' | 'boolean' | 'text' | 'keyword' | 'object';

export interface Field {
  mapping: FieldMapping;
  kind: FieldKind;
  /** Where the values are in _source: a multi-field such as `title.keyword` reads those of `title`. */
  sourcePath: string;
}

export function kindOf(mapping: FieldMapping): FieldKind {
  const type = mapping.type;
  if (type === undefined || type === 'object' || type === 'nested') return 'object';
  if (type === 'date' || type === 'date_nanos') return 'date';
  if (NUMERIC.has(type)) return 'number';
  if (type === 'boolean') return 'boolean';
  if (TEXT.has(type)) return 'text';
  return 'keyword';
}

function lookup(properties: Record<string, FieldMapping> | undefined, segments: string[], prefix: string[]): Field | undefined {
  if (!properties) return undefined;
  // A property name may itself hold dots, so the longest name that matches is tried first.
  for (let i = segments.length; i >= 1; i--) {
    const key = segments.slice(0, i).join('.');
    const field = properties[key];
    if (!field) continue;
    const path = [...prefix, key];
    const rest = segments.slice(i);
    if (rest.length === 0) return { mapping: field, kind: kindOf(field), sourcePath: path.join('.') };
    const inner = lookup(field.properties, rest, path);
    if (inner) return inner;
    const sub = rest.length === 1 ? field.fields?.[rest[0] as string] : undefined;
    if (sub) return { mapping: sub, kind: kindOf(sub), sourcePath: path.join('.') };
  }
  return undefined;
}

/**
 * A field as the index maps it, or undefined when it is not mapped (or not indexed: `enabled: false`). A query on
 * such a field matches nothing on a node, so it matches nothing here either.
 */
export function fieldOf(mappings: FieldMapping | undefined, path: string): Field | undefined {
  const field = lookup(mappings?.properties, path.split('.'), []);
  return field && field.mapping.enabled !== false && field.mapping['index'] !== false ? field : undefined;
}

/** Every non-null value at a dotted path of a document, through arrays of objects and dotted keys, as the index sees them. */
export function valuesAt(source: unknown, path: string): unknown[] {
  const out: unknown[] = [];
  const walk = (node: unknown, segments: string[]) => {
    if (Array.isArray(node)) {
      for (const item of node) walk(item, segments);
      return;
    }
    if (node === null || node === undefined) return;
    if (segments.length === 0) {
      out.push(node);
      return;
    }
    if (typeof node !== 'object') return;
    const obj = node as Record<string, unknown>;
    for (let i = 1; i <= segments.length; i++) {
      const key = segments.slice(0, i).join('.');
      if (key in obj) walk(obj[key], segments.slice(i));
    }
  };
  walk(source, path.split('.'));
  return out;
}

/** A value as the field indexes it, for comparing: epoch millis for dates, numbers, 1/0 for booleans, text otherwise. */
export function comparable(kind: FieldKind, value: unknown): number | string | undefined {
  switch (kind) {
    case 'date':
      return dateToMillis(value);
    case 'number': {
      const n = typeof value === 'number' ? value : typeof value === 'string' && value.trim() !== '' ? Number(value) : Number.NaN;
      return Number.isNaN(n) ? undefined : n;
    }
    case 'boolean':
      return value === true || value === 'true' ? 1 : value === false || value === 'false' ? 0 : undefined;
    case 'object':
      return undefined;
    default:
      return typeof value === 'object' ? undefined : String(value);
  }
}

/** Text as the standard analyzer splits it, near enough: lowercased runs of letters and digits. */
export const tokens = (text: string): string[] => text.toLowerCase().match(/[\p{L}\p{N}_]+/gu) ?? [];

/**
 * A value as the field stores it. A float field keeps single precision, so 9.8 sorts, aggregates and compares as
 * 9.800000190734863 on a node (a range's bounds are narrowed the same way); _source keeps what was sent.
 */
export function indexed(field: Field, value: unknown): number | string | undefined {
  const c = comparable(field.kind, value);
  return typeof c === 'number' && field.mapping.type === 'float' ? Math.fround(c) : c;
}
