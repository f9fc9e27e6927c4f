import { ConfigError, type RunContext, type SinkPlugin } from '@qcs-export/core';
import type { SinkConfig } from './config/schema.js';

/** Every output of every sink, as each plugin declares it (resolved paths, or "stdout"), with the sink that writes it. */
export function outputsOf(sinks: readonly SinkConfig[], plugins: ReadonlyMap<string, SinkPlugin<any>>, ctx: RunContext): Array<{ output: string; sink: string }> {
  return sinks.flatMap((s, i) => (plugins.get(s.type)?.outputs?.(s.options, ctx) ?? []).map((output) => ({ output, sink: `sinks[${i}] (${s.name})` })));
}

/**
 * Two sinks writing one file would race to rename it into place, and one export would silently replace the other
 * (dead-letter files included); two on stdout would interleave. Such a config is refused before anything runs.
 */
export function checkDistinctOutputs(sinks: readonly SinkConfig[], plugins: ReadonlyMap<string, SinkPlugin<any>>, ctx: RunContext): void {
  const first = new Map<string, string>();
  const problems: string[] = [];
  for (const { output, sink } of outputsOf(sinks, plugins, ctx)) {
    const earlier = first.get(output);
    if (earlier === undefined) first.set(output, sink);
    else problems.push(`  ${sink} writes ${output === 'stdout' ? 'to stdout' : output}, as ${earlier} does; give each output its own path`);
  }
  if (problems.length > 0) throw new ConfigError([`two sinks write the same output:`, ...problems].join('\n'));
}
