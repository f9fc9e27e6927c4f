import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { configJsonSchema } from '../src/config/json-schema.js';
import { optionRows, optionsTable } from '../src/config/option-docs.js';
import { readmeOptionTables, readmeTable, readmeWithOptionTables } from '../src/config/readme-options.js';
import { sinkPlugins } from '../src/registry.js';

const readme = readFileSync(new URL('../../../README.md', import.meta.url), 'utf8');

type JsonSchema = {
  properties?: Record<string, JsonSchema>;
  required?: string[];
  description?: string;
  default?: unknown;
  type?: unknown;
  [k: string]: unknown;
};

/** Every property of every object in a JSON Schema, as [dot path, its schema, whether its object requires it]. */
function properties(node: unknown, path = ''): Array<[string, JsonSchema, boolean]> {
  if (Array.isArray(node)) return node.flatMap((n) => properties(n, path));
  if (!node || typeof node !== 'object') return [];
  const schema = node as JsonSchema;
  const own = Object.entries(schema.properties ?? {}).flatMap(
    ([key, child]): Array<[string, JsonSchema, boolean]> => [
      [`${path}.${key}`, child, schema.required?.includes(key) ?? false],
      ...properties(child, `${path}.${key}`),
    ],
  );
  // anyOf, allOf, items…: the same place in the config; default, const and enum hold values, not schemas.
  const nested = Object.entries(schema)
    .filter(([key]) => !['properties', 'default', 'const', 'enum'].includes(key))
    .flatMap(([, child]) => properties(child, path));
  return [...own, ...nested];
}

describe("the README's option tables are generated from the schemas (issue 10, point 6)", () => {
  it.each([...readmeOptionTables(sinkPlugins)])('the %s table is what the schemas say today', (name, table) => {
    expect(readmeTable(readme, name), `README.md's ${name} option table is out of date: run \`pnpm docs:options\``).toBe(table);
  });

  it('rewriting the README changes only the text between the markers', () => {
    const stale = readme.replace('<!-- options:run:start -->\n', '<!-- options:run:start -->\nstale text\n');
    expect(readmeWithOptionTables(stale, readmeOptionTables(sinkPlugins))).toBe(readme);
  });

  it('a table without its markers in the README is an error that names them', () => {
    expect(() => readmeTable('# no tables', 'csv')).toThrow('README.md has no <!-- options:csv:start --> … <!-- options:csv:end --> markers');
  });
});

describe('every option documents itself in its schema', () => {
  const all = properties(configJsonSchema(sinkPlugins));

  it('finds the options of the source, every sink and run', () => {
    const paths = all.map(([p]) => p);
    const expected = [
      ...['.source.baseUrl', '.source.auth.basic.password', '.source.timeouts.connectMs', '.source.simulator.seed', '.run.failOnEmpty'],
      ...['.sinks.name', '.sinks.fileMode', '.sinks.escapeFormulas', '.sinks.rowsPerSheet', '.sinks.columns.header', '.sinks.auth.apiKey', '.sinks.tls.caFile'],
    ];
    for (const key of expected) expect(paths, key).toContain(key);
  });

  it('every option in `qcs-export schema` has a description', () => {
    expect(all.filter(([, schema]) => typeof schema.description !== 'string' || schema.description.length < 10).map(([p]) => p)).toEqual([]);
  });

  it('every optional value names its default, as a JSON Schema default or in its description', () => {
    const isContainer = (s: JsonSchema) => s.type === 'object' || s.properties !== undefined || Array.isArray(s['anyOf']);
    const silent = all.filter(([, s, required]) => !required && !isContainer(s) && !/ Default: .+\.$/.test(s.description ?? ''));
    expect(silent.map(([p]) => p)).toEqual([]);
  });

  it('a default applied outside the schema is a JSON Schema default too, and doc-only metadata is left out', () => {
    const connect = all.find(([p]) => p === '.source.timeouts.connectMs')?.[1];
    expect(connect).toMatchObject({ default: 10000, description: 'Time to connect, in ms. Default: `10000`.' });
    expect(JSON.stringify(configJsonSchema(sinkPlugins))).not.toContain('defaultText');
  });

  it('the generator refuses an option without a description, so none goes undocumented', () => {
    expect(() => optionRows(z.strictObject({ ok: z.string().meta({ description: 'Fine.' }), bare: z.number().optional() }))).toThrow(
      'option bare has no description',
    );
  });

  it('the generator shows defaults from .default(), meta default and defaultText, and (required) only where it holds', () => {
    const schema = z.strictObject({
      a: z.string().meta({ description: 'A.' }),
      b: z.string().default('; ').meta({ description: 'B.' }),
      c: z.number().optional().meta({ description: 'C.', default: 5 }),
      d: z.number().optional().meta({ description: 'D.', defaultText: 'computed' }),
      e: z
        .strictObject({ f: z.string().meta({ description: 'F.' }) })
        .optional()
        .meta({ description: 'E.' }),
    });
    expect(optionsTable(optionRows(schema))).toBe(
      [
        '| key | default | meaning |',
        '|---|---|---|',
        '| `a` | (required) | A. |',
        '| `b` | `"; "` | B. |',
        '| `c` | `5` | C. |',
        '| `d` | computed | D. |',
        '| `e` |  | E. |',
        '| `e.f` |  | F. |',
      ].join('\n'),
    );
  });
});
