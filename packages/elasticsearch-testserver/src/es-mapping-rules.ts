import { EsError } from './es-errors.js';
import { KNOWN_TYPES } from './es-field-types.js';
import type { FieldMapping } from './es-mappings.js';

const DYNAMIC_VALUES = new Set<unknown>([true, false, 'true', 'false', 'strict', 'runtime']);
const invalid = (reason: string) =>
  new EsError(400, 'mapper_parsing_exception', `Failed to parse mapping: ${reason}`, { caused_by: { type: 'mapper_parsing_exception', reason } });

/**
 * Refuses mappings a real cluster refuses when a template or an index is created (an unknown type, a missing
 * scaling_factor), so a typo in a sink's template fails in tests and not first in production.
 */
export function validateMappings(mappings: unknown, path = ''): void {
  if (mappings === undefined) return;
  if (mappings === null || typeof mappings !== 'object' || Array.isArray(mappings)) throw invalid(`Expected map for property [${path || 'mappings'}]`);
  const m = mappings as FieldMapping;
  if (m.dynamic !== undefined && !DYNAMIC_VALUES.has(m.dynamic)) throw invalid(`Could not convert [${path ? `${path}.` : ''}dynamic] to boolean`);
  for (const [name, field] of Object.entries(m.properties ?? {})) validateField(path ? `${path}.${name}` : name, field);
}

function validateField(path: string, field: FieldMapping): void {
  if (field === null || typeof field !== 'object') throw invalid(`Expected map for property [fields] on field [${path}] but got a ${typeof field}`);
  const type = field.type;
  if (type !== undefined && !KNOWN_TYPES.has(type)) throw invalid(`No handler for type [${type}] declared on field [${path}]`);
  if (type === 'scaled_float' && field['scaling_factor'] === undefined) throw invalid(`Field [scaling_factor] is required`);
  if (field.properties !== undefined) {
    if (type !== undefined && type !== 'object' && type !== 'nested') throw invalid(`unknown parameter [properties] on mapper [${path}] of type [${type}]`);
    validateMappings(field, path);
  }
  for (const [name, sub] of Object.entries(field.fields ?? {})) validateField(`${path}.${name}`, sub);
}

const typeOf = (f: FieldMapping) => f.type ?? 'object';

/** Mappings laid over others, as index creation over a template or a put-mapping over an index: fields add up, a type never changes. */
export function mergeMappings(base: FieldMapping, incoming: FieldMapping, path = ''): FieldMapping {
  const out: FieldMapping = { ...base, ...incoming };
  if (base.properties || incoming.properties) {
    const properties: Record<string, FieldMapping> = { ...base.properties };
    for (const [name, field] of Object.entries(incoming.properties ?? {})) {
      const fieldPath = path ? `${path}.${name}` : name;
      const existing = properties[name];
      if (existing && typeOf(existing) !== typeOf(field)) {
        throw new EsError(400, 'illegal_argument_exception', `mapper [${fieldPath}] cannot be changed from type [${typeOf(existing)}] to [${typeOf(field)}]`);
      }
      properties[name] = existing ? mergeMappings(existing, field, fieldPath) : field;
    }
    out.properties = properties;
  }
  return out;
}
