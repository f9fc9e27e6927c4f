import { z } from 'zod';
import type { AnySinkPlugin } from '@qcs-export/core';
import { formatDefault } from './option-docs.js';
import { liveSourceSchema, runSchema, simulatorSourceSchema } from './schema.js';

/** A JSON Schema of the config, from the same zod schemas the loader validates with (for editor completion). */
export function configJsonSchema(plugins: ReadonlyMap<string, AnySinkPlugin>): unknown {
  const sinks = [...plugins.values()].map((p) =>
    z.intersection(
      z.object({
        type: z.literal(p.type).meta({ description: p.description }),
        name: z.string().optional().meta({ description: 'A label for logs and the summary.', defaultText: 'the type' }),
      }),
      p.options as z.ZodType,
    ),
  );
  const schema = z.strictObject({
    // The editor sees every auth form in one source; validation checks the form the user wrote (authKindOf).
    source: z
      .union([liveSourceSchema('any'), simulatorSourceSchema])
      .meta({ description: 'Where the images come from: a Qualys subscription, or the embedded simulator.' }),
    sinks: z
      .array(sinks.length === 1 ? (sinks[0] as z.ZodType) : z.union(sinks as unknown as [z.ZodType, z.ZodType, ...z.ZodType[]]))
      .min(1)
      .meta({ description: 'Where the images go: one or more sinks, each with a `type` and its options.' }),
    run: runSchema.optional(),
  });
  const json = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any', target: 'draft-2020-12' });
  return withDefaultsDescribed(JSON.parse(JSON.stringify(json)) as unknown);
}

/**
 * Ends each description with the default, as the README's tables show it, so an editor's hover names it too. A
 * `defaultText` (a default that is no single value) is only for that: it is no JSON Schema keyword, so it goes.
 */
const VALUES = new Set(['default', 'const', 'enum', 'examples']); // keywords whose content is data, not schemas

function withDefaultsDescribed(node: unknown): unknown {
  if (Array.isArray(node)) node.forEach(withDefaultsDescribed);
  if (!node || typeof node !== 'object' || Array.isArray(node)) return node;
  const schema = node as Record<string, unknown>;
  const shown = typeof schema['defaultText'] === 'string' ? schema['defaultText'] : formatDefault(schema['default']);
  delete schema['defaultText'];
  if (typeof schema['description'] === 'string' && shown !== undefined) schema['description'] = `${schema['description']} Default: ${shown}.`;
  for (const [key, value] of Object.entries(schema)) if (!VALUES.has(key)) withDefaultsDescribed(value);
  return schema;
}
