import type { AnySinkPlugin } from '@qcs-export/core';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { optionRows } from '../src/config/option-docs.js';
import { liveSourceSchema, runSchema, simulatorSourceSchema } from '../src/config/schema.js';
import { expectedTypeAt, formsOf, keysAt } from '../src/config/schema-walk.js';
import { childrenOf, readSchema, type SchemaNode, ZodStructureError } from '../src/config/zod-node.js';
import { sinkPlugins } from '../src/registry.js';

/** Every schema the config is checked with: the source forms, run, and each sink's options. */
const roots = (): Array<[string, z.core.$ZodType]> => [
  ['source', liveSourceSchema('any')],
  ['simulator', simulatorSourceSchema],
  ['run', runSchema],
  ...[...sinkPlugins.values()].map((p: AnySinkPlugin): [string, z.core.$ZodType] => [p.type, p.options as z.core.$ZodType]),
];

/** Every node inside a schema, each read once, through readSchema only. */
function walk(schema: z.core.$ZodType, seen = new Set<z.core.$ZodType>()): SchemaNode[] {
  if (seen.has(schema)) return [];
  seen.add(schema);
  const node = readSchema(schema);
  return [node, ...childrenOf(node).flatMap((child) => walk(child, seen))];
}

/** A value shaped like a zod schema with the definition given, as a zod release with other internals might make. */
const fake = (def: Record<string, unknown>) => ({ _zod: { def } }) as unknown as z.core.$ZodType;

describe("the one reader of zod's internals (issue 18)", () => {
  it.each(roots())('reads every node of the %s schema with the installed zod', (_name, schema) => {
    const nodes = walk(schema);
    expect(nodes.length).toBeGreaterThan(3);
    // Every wrapper and container kind the config uses is among them, so none is read past silently.
    const types = new Set(nodes.map((n) => n.type));
    expect(types.has('object')).toBe(true);
  });

  it('finds known options with their descriptions, defaults and types in the real config schema', () => {
    const source = liveSourceSchema('any');
    const rows = new Map(optionRows(source).map((r) => [r.key, r]));
    expect(rows.get('strategy')).toMatchObject({ default: '`auto`' });
    expect(rows.get('strategy')?.description).toMatch(/How to page/);
    expect(rows.get('concurrency')).toMatchObject({ default: '`4`' });
    expect(rows.get('resultCap')?.default).toBe('`10000`');
    expect(rows.get('auth.password')?.description).toMatch(/password/);
    expect(rows.get('baseUrl')).toMatchObject({ default: "`platform`'s gateway" });
    expect(rows.get('platform')?.description).toMatch(/US1, US2, US3, US4, EU1/);
    expect(expectedTypeAt(source, ['pageSize'])).toBe('integer');
    expect(expectedTypeAt(source, ['vulnerabilities', 'includeClean'])).toBe('boolean');
    expect(expectedTypeAt(source, ['filter'])).toBeUndefined();
    expect(keysAt(source, ['vulnerabilities'])).toEqual(['from', 'concurrency', 'includeClean', 'exceptionDetails']);
    expect(formsOf(source, ['auth'])).toEqual(['{ username, password }', '{ token }', '{ basic }']);
    const csv = new Map(optionRows(sinkPlugins.get('csv')?.options as z.core.$ZodType).map((r) => [r.key, r]));
    expect(csv.get('joinWith')).toMatchObject({ default: '`"; "`' });
  });

  it('reads wrappers, defaults, pipes, unions and numbers as zod builds them', () => {
    const schema = z.object({ n: z.number().int().default(3).meta({ description: 'n' }), x: z.string().transform(Number).optional() });
    const node = readSchema(schema);
    if (node.type !== 'object') throw new Error(`an object reads as ${node.type}`);
    const n = readSchema(node.shape['n'] as z.core.$ZodType);
    expect(n).toMatchObject({ type: 'default', defaultValue: 3, meta: { description: 'n' } });
    if (n.type !== 'default') throw new Error('unreachable');
    expect(readSchema(n.inner)).toMatchObject({ type: 'number', integer: true });
    expect(readSchema(z.number())).toMatchObject({ type: 'number', integer: false });
    expect(readSchema(z.union([z.string(), z.boolean()]))).toMatchObject({ type: 'union' });
    expect(readSchema(z.strictObject({ a: z.string() }))).toMatchObject({ type: 'object', catchall: undefined });
    expect(readSchema(z.looseObject({ a: z.string() }))).toMatchObject({ type: 'object' });
    expect(expectedTypeAt(z.object({ a: z.string().pipe(z.coerce.number()) }), ['a'])).toBeUndefined();
  });

  it('throws a ZodStructureError, naming what it missed, for a shape it does not know instead of skipping it', () => {
    expect(() => readSchema(fake({ type: 'refinement' }))).toThrow(ZodStructureError);
    expect(() => readSchema(fake({ type: 'refinement' }))).toThrow(/the type "refinement", which this module does not know.*zod-node\.ts/);
    expect(() => readSchema(fake({ type: 'optional', inner: z.string() }))).toThrow(/"optional" definition has no schema in `innerType`/);
    expect(() => readSchema(fake({ type: 'object', properties: {} }))).toThrow(/"object" definition has no `shape`/);
    expect(() => readSchema(fake({ type: 'union', anyOf: [] }))).toThrow(/"union" definition has no schema list in `options`/);
    expect(() => readSchema(fake({ type: 'default', innerType: z.string() }))).toThrow(/"default" definition has no `defaultValue`/);
    expect(() => readSchema({ def: { type: 'string' } } as unknown as z.core.$ZodType)).toThrow(/no `_zod.def`/);
    expect(() => readSchema(fake({ kind: 'string' }))).toThrow(/no `type` name/);
  });

  it("the loader's walks throw too, rather than treating an unknown shape as a key with no type", () => {
    const changed = fake({ type: 'object', shape: { pageSize: fake({ type: 'integer' }) } });
    expect(() => expectedTypeAt(changed, ['pageSize'])).toThrow(ZodStructureError);
    expect(() => optionRows(changed)).toThrow(ZodStructureError);
  });
});
