import { detectDate } from './es-dates.js';
import type { ErrorCause } from './es-errors.js';
import { concreteValueError, OBJECT_VALUED_TYPES } from './es-field-types.js';

/** A field mapping as Elasticsearch keeps it: a type, sub-properties, or an object that is not indexed. */
export interface FieldMapping {
  type?: string;
  properties?: Record<string, FieldMapping>;
  enabled?: boolean;
  dynamic?: boolean | 'strict' | 'true' | 'false' | 'runtime';
  format?: string;
  coerce?: boolean;
  ignore_malformed?: boolean;
  fields?: Record<string, FieldMapping>;
  date_detection?: boolean;
  numeric_detection?: boolean;
  [key: string]: unknown;
}

type Dynamic = FieldMapping['dynamic'];

interface Check {
  root: FieldMapping;
  id: string;
  /** Undoes the fields dynamic mapping added for this document: a rejected document must leave the mapping as it was. */
  undo: Array<() => void>;
}

const preview = (v: unknown) => String(typeof v === 'object' && v !== null ? JSON.stringify(v) : v).slice(0, 60);
const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);
const isObjectField = (f: FieldMapping) => f.type === undefined || f.type === 'object' || f.type === 'nested';

/**
 * Checks a document against an index's mappings, as indexing would, and adds the fields dynamic mapping creates.
 * Returns the error of the first field that does not parse, or undefined when the document is accepted.
 */
export function checkDocument(root: FieldMapping, doc: Record<string, unknown>, id: string): ErrorCause | undefined {
  const check: Check = { root, id, undo: [] };
  const error = checkObject(check, root, doc, '', root.dynamic ?? true);
  if (error) for (const undo of check.undo.reverse()) undo();
  return error;
}

/** `{"a.b": 1}` is the field b of object a to the mapper, so the check sees it that way too. */
function expandDots(obj: Record<string, unknown>): Record<string, unknown> {
  let dotted = false;
  for (const key in obj) if (key.includes('.')) dotted = true;
  if (!dotted) return obj;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(obj)) {
    const parts = key.split('.');
    let node = out;
    for (const part of parts.slice(0, -1)) {
      if (!isObject(node[part])) node[part] = {};
      node = node[part] as Record<string, unknown>;
    }
    const last = parts.at(-1) as string;
    node[last] = isObject(node[last]) && isObject(value) ? { ...node[last], ...value } : value;
  }
  return out;
}

function checkObject(check: Check, mapping: FieldMapping, obj: Record<string, unknown>, prefix: string, inherited: Dynamic): ErrorCause | undefined {
  const dynamic = mapping.dynamic ?? inherited;
  const fields = expandDots(obj);
  for (const key in fields) {
    const value = fields[key];
    const path = prefix ? `${prefix}.${key}` : key;
    let field = mapping.properties?.[key];
    if (!field) {
      if (value === null) continue;
      if (dynamic === 'strict') {
        return {
          type: 'strict_dynamic_mapping_exception',
          reason: `[1:1] mapping set to strict, dynamic introduction of [${key}] within [${prefix || '_doc'}] is not allowed`,
        };
      }
      if (dynamic === false || dynamic === 'false' || dynamic === 'runtime') continue;
      const added = dynamicMapping(check.root, value);
      if (!added) continue;
      mapping.properties ??= {};
      const properties = mapping.properties;
      properties[key] = added;
      check.undo.push(() => delete properties[key]);
      field = added;
    }
    const error = checkValue(check, field, value, path, dynamic);
    if (error) return error;
  }
  return undefined;
}

function checkValue(check: Check, field: FieldMapping, value: unknown, path: string, dynamic: Dynamic): ErrorCause | undefined {
  if (value === null || field.enabled === false) return undefined;
  if (Array.isArray(value)) {
    for (const item of value) {
      const error = checkValue(check, field, item, path, dynamic);
      if (error) return error;
    }
    return undefined;
  }
  if (isObjectField(field)) {
    if (!isObject(value))
      return {
        type: 'document_parsing_exception',
        reason: `[1:1] object mapping for [${path}] tried to parse field [${path}] as object, but found a concrete value`,
      };
    return checkObject(check, field, value, path, dynamic);
  }
  const failed = (cause: ErrorCause): ErrorCause => ({
    type: 'document_parsing_exception',
    reason: `[1:1] failed to parse field [${path}] of type [${field.type}] in document with id '${check.id}'. Preview of field's value: '${preview(value)}'`,
    caused_by: cause,
  });
  if (isObject(value)) {
    if (OBJECT_VALUED_TYPES.has(field.type as string)) return undefined;
    return field.ignore_malformed ? undefined : failed({ type: 'illegal_state_exception', reason: `Can't get text on a START_OBJECT at 1:1` });
  }
  const cause = concreteValueError(field, value);
  return cause && !field.ignore_malformed ? failed(cause) : undefined;
}

/** The mapping Elasticsearch's dynamic mapping gives a new value (the first non-null element of an array). */
function dynamicMapping(root: FieldMapping, value: unknown): FieldMapping | undefined {
  const sample = Array.isArray(value) ? value.flat(Infinity).find((v) => v !== null) : value;
  if (typeof sample === 'boolean') return { type: 'boolean' };
  if (typeof sample === 'number') return { type: Number.isInteger(sample) ? 'long' : 'float' };
  if (typeof sample === 'string') {
    const date = root.date_detection === false ? undefined : detectDate(sample);
    if (date) return date;
    if (root.numeric_detection === true && sample.trim() !== '' && Number.isFinite(Number(sample)))
      return { type: Number.isInteger(Number(sample)) ? 'long' : 'float' };
    return { type: 'text', fields: { keyword: { type: 'keyword', ignore_above: 256 } } };
  }
  if (isObject(sample)) return { properties: {} };
  return undefined;
}
