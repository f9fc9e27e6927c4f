import { z } from 'zod';

/**
 * The one place that reads zod's internals. Zod has no public API to walk a schema (the schema at a key path, the
 * forms of a union, a default), so the loader's type coercion and "did you mean", the README's option tables and the
 * editor schema all read `_zod.def` through readSchema(), which checks every field it reads. A zod release that
 * changes that structure makes readSchema throw a ZodStructureError naming what changed, instead of a key silently
 * losing its coercion or its row in the docs; test/zod-node.test.ts walks every real schema through it.
 */

/**
 * The documentation a schema carries in `.meta()`: `description`; `default` for a value applied outside the schema
 * (a real value, so the JSON Schema gets it too); `defaultText` for a default that is not one value (markdown).
 */
export interface DocMeta {
  description?: string;
  default?: unknown;
  defaultText?: string;
}

type Schema = z.core.$ZodType;

/** What one schema is, with the schemas inside it. `meta` is what `.meta()` registered on this very schema. */
export type SchemaNode = { meta: DocMeta } & (
  | { type: 'optional' | 'nullable' | 'catch' | 'readonly' | 'nonoptional'; inner: Schema }
  | { type: 'default' | 'prefault'; inner: Schema; defaultValue: unknown }
  /** A pipe (`.transform()`, `z.preprocess`), by the schema that checks its input: that is what a config holds. */
  | { type: 'pipe'; inner: Schema }
  | { type: 'lazy'; inner: Schema }
  | { type: 'union'; options: Schema[] }
  | { type: 'intersection'; options: [Schema, Schema] }
  /** `catchall` is undefined when unknown keys are refused or stripped. */
  | { type: 'object'; shape: Readonly<Record<string, Schema>>; catchall: Schema | undefined }
  | { type: 'record'; value: Schema }
  | { type: 'array'; element: Schema }
  | { type: 'tuple'; items: Schema[]; rest: Schema | undefined }
  | { type: 'number'; integer: boolean }
  /** A schema with nothing inside that this tool reads: a string, a boolean, an enum, a literal… */
  | { type: 'leaf'; zodType: string }
);

/** Zod's definitions no longer have the shape this module reads: a zod upgrade changed its internals. */
export class ZodStructureError extends Error {
  constructor(what: string) {
    super(
      `zod's schema structure is not what qcs-export reads: ${what}. The config loader and the option docs read zod's ` +
        'internal definitions through apps/runner/src/config/zod-node.ts: install the zod version the lockfile pins, or ' +
        'update that module for the new one',
    );
    this.name = 'ZodStructureError';
  }
}

/** Types with no schema inside that this tool reads; any other type is a structure this module does not know. */
const LEAVES: ReadonlySet<string> = new Set([
  'string',
  'boolean',
  'bigint',
  'symbol',
  'null',
  'undefined',
  'void',
  'never',
  'any',
  'unknown',
  'date',
  'file',
  'map',
  'set',
  'enum',
  'literal',
  'success',
  'transform',
  'nan',
  'template_literal',
  'promise',
  'function',
  'custom',
]);

const isSchema = (value: unknown): value is Schema =>
  typeof value === 'object' && value !== null && typeof (value as { _zod?: { def?: unknown } })._zod?.def === 'object';

function schemaAt(def: Record<string, unknown>, field: string): Schema {
  const value = def[field];
  if (!isSchema(value)) throw new ZodStructureError(`a "${String(def['type'])}" definition has no schema in \`${field}\``);
  return value;
}

function optionalSchemaAt(def: Record<string, unknown>, field: string): Schema | undefined {
  return def[field] === undefined || def[field] === null ? undefined : schemaAt(def, field);
}

function schemasAt(def: Record<string, unknown>, field: string): Schema[] {
  const value = def[field];
  if (!Array.isArray(value) || !value.every(isSchema)) throw new ZodStructureError(`a "${String(def['type'])}" definition has no schema list in \`${field}\``);
  return value;
}

function shapeOf(def: Record<string, unknown>): Record<string, Schema> {
  const shape = def['shape'];
  if (typeof shape !== 'object' || shape === null || !Object.values(shape).every(isSchema)) {
    throw new ZodStructureError('an "object" definition has no `shape` of schemas');
  }
  return shape as Record<string, Schema>;
}

/** The metadata `.meta()` put on this schema (zod's public registry). */
export function metaOf(schema: Schema): DocMeta {
  return (z.globalRegistry.get(schema) as DocMeta | undefined) ?? {};
}

/** Reads one schema's definition. Throws a ZodStructureError for a type or a field this module does not know. */
export function readSchema(schema: Schema): SchemaNode {
  if (!isSchema(schema)) throw new ZodStructureError('a schema has no `_zod.def` object');
  const def = schema._zod.def as unknown as Record<string, unknown>;
  const type = def['type'];
  if (typeof type !== 'string') throw new ZodStructureError('a definition has no `type` name');
  const meta = metaOf(schema);
  switch (type) {
    case 'optional':
    case 'nullable':
    case 'catch':
    case 'readonly':
    case 'nonoptional':
      return { meta, type, inner: schemaAt(def, 'innerType') };
    case 'default':
    case 'prefault':
      if (!('defaultValue' in def)) throw new ZodStructureError(`a "${type}" definition has no \`defaultValue\``);
      return { meta, type, inner: schemaAt(def, 'innerType'), defaultValue: def['defaultValue'] };
    case 'pipe':
      return { meta, type, inner: schemaAt(def, 'in') };
    case 'lazy': {
      const getter = def['getter'];
      if (typeof getter !== 'function') throw new ZodStructureError('a "lazy" definition has no `getter`');
      const inner: unknown = getter();
      if (!isSchema(inner)) throw new ZodStructureError('a "lazy" getter returned no schema');
      return { meta, type, inner };
    }
    case 'union':
      return { meta, type, options: schemasAt(def, 'options') };
    case 'intersection':
      return { meta, type, options: [schemaAt(def, 'left'), schemaAt(def, 'right')] };
    case 'object': {
      const catchall = optionalSchemaAt(def, 'catchall');
      // A `never` catchall is how a strict object refuses unknown keys: no schema for them.
      return { meta, type, shape: shapeOf(def), catchall: catchall && !isNever(catchall) ? catchall : undefined };
    }
    case 'record':
      return { meta, type, value: schemaAt(def, 'valueType') };
    case 'array':
      return { meta, type, element: schemaAt(def, 'element') };
    case 'tuple':
      return { meta, type, items: schemasAt(def, 'items'), rest: optionalSchemaAt(def, 'rest') };
    case 'number':
    case 'int': {
      // `isInt` is zod's own reading of the checks (.int(), a whole multipleOf), on the schema rather than its def.
      const isInt = (schema as { isInt?: unknown }).isInt;
      if (type === 'number' && typeof isInt !== 'boolean') throw new ZodStructureError('a "number" schema has no boolean `isInt`');
      return { meta, type: 'number', integer: type === 'int' || isInt === true };
    }
    default:
      if (LEAVES.has(type)) return { meta, type: 'leaf', zodType: type };
      throw new ZodStructureError(`a definition has the type "${type}", which this module does not know`);
  }
}

function isNever(schema: Schema): boolean {
  const node = readSchema(schema);
  return node.type === 'leaf' && node.zodType === 'never';
}

/** Every schema inside this one (not this one), as readSchema finds them: wrapped, branches, fields, elements. */
export function childrenOf(node: SchemaNode): Schema[] {
  switch (node.type) {
    case 'union':
    case 'intersection':
      return [...node.options];
    case 'object':
      return [...Object.values(node.shape), ...(node.catchall ? [node.catchall] : [])];
    case 'record':
      return [node.value];
    case 'array':
      return [node.element];
    case 'tuple':
      return [...node.items, ...(node.rest ? [node.rest] : [])];
    case 'number':
    case 'leaf':
      return [];
    default:
      return [node.inner];
  }
}
