import type { z } from 'zod';
import type { KeyPath } from './paths.js';

/** A type an interpolated value (always text) can be converted to. Anything else stays text. */
export type Expected = 'integer' | 'number' | 'boolean';

type Def = z.core.$ZodTypes['_zod']['def'];
const defOf = (schema: z.core.$ZodType): Def => (schema as z.core.$ZodTypes)._zod.def;

/**
 * The schemas that check a value at `path`, with optional/default/… wrappers removed and one per union branch.
 * Zod has no public "schema at path" API; `_zod.def` is the documented structure for tools that read schemas.
 */
export function schemasAt(schema: z.core.$ZodType, path: KeyPath): z.core.$ZodType[] {
  const def = defOf(schema);
  switch (def.type) {
    case 'optional':
    case 'nullable':
    case 'default':
    case 'prefault':
    case 'catch':
    case 'readonly':
    case 'nonoptional':
      return schemasAt(def.innerType, path);
    case 'pipe':
      return schemasAt(def.in, path);
    case 'lazy':
      return schemasAt(def.getter(), path);
    case 'union':
      return def.options.flatMap((option) => schemasAt(option, path));
    case 'intersection':
      return [...schemasAt(def.left, path), ...schemasAt(def.right, path)];
    default:
      break;
  }
  if (path.length === 0) return [schema];
  const [head, ...rest] = path;
  if (def.type === 'object' && typeof head === 'string') {
    const child = Object.hasOwn(def.shape, head) ? def.shape[head] : def.catchall && defOf(def.catchall).type !== 'never' ? def.catchall : undefined;
    return child ? schemasAt(child, rest) : [];
  }
  if (def.type === 'record' && typeof head === 'string') return schemasAt(def.valueType, rest);
  if (def.type === 'array' && typeof head === 'number') return schemasAt(def.element, rest);
  if (def.type === 'tuple' && typeof head === 'number') {
    const item = def.items[head] ?? def.rest;
    return item ? schemasAt(item, rest) : [];
  }
  return [];
}

/** The type the schema wants at `path`, if every branch that has the key agrees on a number or a boolean. */
export function expectedTypeAt(schema: z.core.$ZodType, path: KeyPath): Expected | undefined {
  const kinds = new Set(schemasAt(schema, path).map(kindOf));
  const [only] = kinds;
  return kinds.size === 1 && only !== 'other' ? only : undefined;
}

function kindOf(schema: z.core.$ZodType): Expected | 'other' {
  const type = defOf(schema).type;
  if (type === 'boolean') return 'boolean';
  if (type === 'number') return (schema as { isInt?: unknown }).isInt === true ? 'integer' : 'number';
  return 'other';
}

/** The keys a mapping at `path` may have, for a "did you mean" on an unknown key. */
export function keysAt(schema: z.core.$ZodType, path: KeyPath): string[] {
  const keys = schemasAt(schema, path).flatMap((s) => {
    const def = defOf(s);
    return def.type === 'object' ? Object.keys(def.shape) : [];
  });
  return [...new Set(keys)];
}

/** The accepted forms of a union of mappings at `path`, e.g. ["{ apiKey }", "{ username, password }"], or undefined. */
export function formsOf(schema: z.core.$ZodType, path: KeyPath): string[] | undefined {
  const forms = schemasAt(schema, path).map((s) => {
    const def = defOf(s);
    return def.type === 'object' ? `{ ${Object.keys(def.shape).join(', ')} }` : undefined;
  });
  return forms.length > 1 && forms.every((f): f is string => f !== undefined) ? forms : undefined;
}
