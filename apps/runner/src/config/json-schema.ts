import { z } from 'zod';
import type { SinkPlugin } from '@qcs-export/core';
import { liveSourceSchema, runSchema, simulatorSourceSchema } from './schema.js';

/** A JSON Schema of the config, from the same zod schemas the loader validates with (for editor completion). */
export function configJsonSchema(plugins: ReadonlyMap<string, SinkPlugin<any>>): unknown {
  const sinks = [...plugins.values()].map((p) => z.intersection(z.object({ type: z.literal(p.type), name: z.string().optional() }), p.options as z.ZodType));
  const schema = z.strictObject({
    source: z.union([liveSourceSchema('jwt'), liveSourceSchema('token'), liveSourceSchema('basic'), simulatorSourceSchema]),
    sinks: z.array(sinks.length === 1 ? (sinks[0] as z.ZodType) : z.union(sinks as unknown as [z.ZodType, z.ZodType, ...z.ZodType[]])).min(1),
    run: runSchema.optional(),
  });
  return z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any', target: 'draft-2020-12' });
}
