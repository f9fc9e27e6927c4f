import type { AnySinkPlugin, IncrementalSupport, StateTarget } from '@qcs-export/core';
import type { Config } from './config/schema.js';

/*
 * What the runner asks each sink plugin about incremental runs and what it writes, in one place: whether it takes part,
 * what a state records for it, its grain. Config validation, the scheduled run and the manifest read these, so none
 * of them knows a sink's option names.
 */

/**
 * What a plugin declares for incremental runs. One that declares nothing is refused, and so is one that takes part
 * without declaring its state target: the state could not tell its destination from another.
 */
export function incrementalSupportOf(plugin: AnySinkPlugin | undefined, type: string, options: unknown): IncrementalSupport {
  const support = plugin?.incremental?.(options) ?? { ok: false, reason: `the ${type} sink does not say how it takes part in incremental runs` };
  if (support.ok && !plugin?.stateTarget) {
    return { ok: false, reason: `the ${type} sink does not say what the state should record for it (its plugin declares no stateTarget)` };
  }
  return support;
}

/**
 * Sinks that cannot take part in incremental runs, with the reason each plugin gives; checked whenever a state is
 * configured, so a config behaves the same on its first (full) run as on the incremental ones after it.
 */
export function incrementalRefusals(config: Config, plugins: ReadonlyMap<string, AnySinkPlugin>): string[] {
  return config.sinks.flatMap((s, i) => {
    const support = incrementalSupportOf(plugins.get(s.type), s.type, s.options);
    return support.ok ? [] : [`sinks[${i}] (${s.name}): ${support.reason}`];
  });
}

/** What a state records for a sink, as its plugin declares it; incrementalSupportOf refuses a plugin without one. */
export function stateTargetOf(plugin: AnySinkPlugin | undefined, type: string, options: unknown): StateTarget {
  const declared = plugin?.stateTarget?.(options);
  if (declared === undefined) throw new Error(`the ${type} sink declares no stateTarget; incrementalRefusals should have refused it`);
  return declared;
}

/** The records a sink writes ("images", "findings", …), as its stateTarget says; "images" for a plugin that does not say. */
export function grainOf(plugin: AnySinkPlugin | undefined, options: unknown): string {
  return plugin?.stateTarget?.(options).records ?? 'images';
}
