import type { z } from 'zod';
import type { KeyPath } from './paths.js';
import { readSchema } from './zod-node.js';

/** A type an interpolated value (always text) can be converted to. Anything else stays text. */
export type Expected = 'integer' | 'number' | 'boolean';

/** The schemas that check a value at `path`, with optional/default/… wrappers removed and one per union branch. */
export function schemasAt(schema: z.core.$ZodType, path: KeyPath): z.core.$ZodType[] {
  const node = readSchema(schema);
  switch (node.type) {
    case 'optional':
    case 'nullable':
    case 'default':
    case 'prefault':
    case 'catch':
    case 'readonly':
    case 'nonoptional':
    case 'pipe':
    case 'lazy':
      return schemasAt(node.inner, path);
    case 'union':
    case 'intersection':
      return node.options.flatMap((option) => schemasAt(option, path));
    default:
      break;
  }
  if (path.length === 0) return [schema];
  const [head, ...rest] = path;
  if (node.type === 'object' && typeof head === 'string') {
    const child = Object.hasOwn(node.shape, head) ? node.shape[head] : node.catchall;
    return child ? schemasAt(child, rest) : [];
  }
  if (node.type === 'record' && typeof head === 'string') return schemasAt(node.value, rest);
  if (node.type === 'array' && typeof head === 'number') return schemasAt(node.element, rest);
  if (node.type === 'tuple' && typeof head === 'number') {
    const item = node.items[head] ?? node.rest;
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
  const node = readSchema(schema);
  if (node.type === 'leaf' && node.zodType === 'boolean') return 'boolean';
  if (node.type === 'number') return node.integer ? 'integer' : 'number';
  return 'other';
}

/** The keys a mapping at `path` may have, for a "did you mean" on an unknown key. */
export function keysAt(schema: z.core.$ZodType, path: KeyPath): string[] {
  const keys = schemasAt(schema, path).flatMap((s) => {
    const node = readSchema(s);
    return node.type === 'object' ? Object.keys(node.shape) : [];
  });
  return [...new Set(keys)];
}

/** The accepted forms of a union of mappings at `path`, e.g. ["{ apiKey }", "{ username, password }"], or undefined. */
export function formsOf(schema: z.core.$ZodType, path: KeyPath): string[] | undefined {
  const forms = schemasAt(schema, path).map((s) => {
    const node = readSchema(s);
    return node.type === 'object' ? `{ ${Object.keys(node.shape).join(', ')} }` : undefined;
  });
  return forms.length > 1 && forms.every((f): f is string => f !== undefined) ? forms : undefined;
}
