import type { ItemError } from './es-errors.js';

/** A field mapping as Elasticsearch keeps it: a type, sub-properties, or an object that is not indexed. */
export interface FieldMapping {
  type?: string;
  properties?: Record<string, FieldMapping>;
  enabled?: boolean;
  dynamic?: boolean | 'strict' | 'true' | 'false';
  [key: string]: unknown;
}

const INTEGER_TYPES = new Set(['long', 'integer', 'short', 'byte', 'unsigned_long']);
const FLOAT_TYPES = new Set(['float', 'double', 'half_float', 'scaled_float']);
const STRING_TYPES = new Set(['keyword', 'text', 'wildcard', 'match_only_text', 'constant_keyword', 'ip', 'version']);
const ISO_DATE = /^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})?)?$/;

const isNumeric = (v: unknown) => (typeof v === 'number' && Number.isFinite(v)) || (typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v)));

/** Whether a concrete value fits a field type the way Elasticsearch parses it. */
function fits(type: string, value: unknown): boolean {
  if (type === 'date') return (typeof value === 'string' && ISO_DATE.test(value) && !Number.isNaN(Date.parse(value))) || (typeof value === 'number' && Number.isFinite(value));
  if (INTEGER_TYPES.has(type)) return isNumeric(value) && Number.isInteger(Number(value));
  if (FLOAT_TYPES.has(type)) return isNumeric(value);
  if (type === 'boolean') return typeof value === 'boolean' || value === 'true' || value === 'false' || value === '';
  if (STRING_TYPES.has(type)) return typeof value !== 'object';
  return true;
}

/** The mapping Elasticsearch's dynamic mapping would give a new value. */
function dynamicMapping(value: unknown): FieldMapping | undefined {
  if (typeof value === 'boolean') return { type: 'boolean' };
  if (typeof value === 'number') return { type: Number.isInteger(value) ? 'long' : 'float' };
  if (typeof value === 'string') return ISO_DATE.test(value) && !Number.isNaN(Date.parse(value)) ? { type: 'date' } : { type: 'text', fields: { keyword: { type: 'keyword', ignore_above: 256 } } };
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) return { properties: {} };
  return undefined;
}

const preview = (v: unknown) => String(typeof v === 'object' ? JSON.stringify(v) : v).slice(0, 60);

/**
 * Checks a document against an index's mappings, as indexing would, and adds fields dynamic mapping creates.
 * Returns the error of the first field that does not parse, or undefined when the document is accepted.
 */
export function checkDocument(root: FieldMapping, doc: Record<string, unknown>, id: string): ItemError | undefined {
  return checkObject(root, doc, '', id, root.dynamic ?? true);
}

function checkObject(mapping: FieldMapping, obj: Record<string, unknown>, prefix: string, id: string, inherited: FieldMapping['dynamic']): ItemError | undefined {
  const dynamic = mapping.dynamic ?? inherited;
  mapping.properties ??= {};
  for (const [key, value] of Object.entries(obj)) {
    const path = prefix ? `${prefix}.${key}` : key;
    let field = mapping.properties[key];
    if (!field) {
      if (value === null) continue;
      if (dynamic === 'strict') return { type: 'strict_dynamic_mapping_exception', reason: `[${prefix || '_doc'}] object mapping [${prefix || '_doc'}] does not allow dynamic fields: [${key}] is not mapped` };
      if (dynamic === false || dynamic === 'false') continue;
      const sample = Array.isArray(value) ? value.find((v) => v !== null) : value;
      const added = dynamicMapping(sample);
      if (!added) continue;
      mapping.properties[key] = added;
      field = added;
    }
    const error = checkValue(field, value, path, id, dynamic);
    if (error) return error;
  }
  return undefined;
}

function checkValue(field: FieldMapping, value: unknown, path: string, id: string, dynamic: FieldMapping['dynamic']): ItemError | undefined {
  if (value === null || field.enabled === false) return undefined;
  if (Array.isArray(value)) {
    for (const item of value) {
      const error = checkValue(field, item, path, id, dynamic);
      if (error) return error;
    }
    return undefined;
  }
  const isObjectField = field.properties !== undefined || field.type === 'object' || field.type === 'nested';
  if (isObjectField) {
    if (typeof value !== 'object') return { type: 'document_parsing_exception', reason: `[1:1] object mapping for [${path}] tried to parse field [${path}] as object, but found a concrete value` };
    return checkObject(field, value as Record<string, unknown>, path, id, dynamic);
  }
  if (typeof value === 'object') return { type: 'document_parsing_exception', reason: `[1:1] failed to parse field [${path}] of type [${field.type}] in document with id '${id}'. Preview of field's value: '${preview(value)}'` };
  if (field.type && !fits(field.type, value)) {
    return { type: 'document_parsing_exception', reason: `[1:1] failed to parse field [${path}] of type [${field.type}] in document with id '${id}'. Preview of field's value: '${preview(value)}'` };
  }
  return undefined;
}
