import { resolve } from 'node:path';
import { PAGE_SIZE_LIMITS, resolveUserPath, sinkGrains, type AnySinkPlugin, type RunContext, type SinkDestination, type SinkPlugin } from '@qcs-export/core';
import { manifestPathOf } from './audit/manifest.js';
import type { ConfigChoice } from './config/discover.js';
import { authKindOf, isSimulatorSource, type Config } from './config/schema.js';
import { outputsOf } from './outputs.js';
import { listsRead } from './run/run-sinks.js';
import { identityOf } from './state/identity.js';
import { planRun } from './state/plan.js';
import { readState } from './state/state-file.js';

/**
 * What a run of this config would do, resolved as the run resolves it: `validate --json` and `run --dry-run` print
 * it, so a scheduled job can be read (and diffed) before it first runs. Credentials are never part of it.
 */
export interface RunPlan {
  config: { file: string; foundBy?: string };
  source: SourcePlan;
  reads: { images: boolean; containers: boolean; software: boolean };
  sinks: SinkPlan[];
  /**
   * The state file of incremental runs (absolute) and what it plans for the next run: full (with why), or only the
   * images changed since a time; null when every run is full.
   */
  state: StatePlan | null;
  /** The audit manifest this run would write (its {datetime} as of now), absolute; null when none is asked for. */
  manifest: string | null;
  /** The manifest of the run this one would be compared with; null when none. */
  compareTo: string | null;
  warnings: string[];
}

export interface StatePlan {
  path: string;
  next: 'full' | 'incremental';
  /** Why the next run reads everything. */
  reason?: string;
  /** The next run reads the images changed since then (ISO 8601), the lookback included. */
  since?: string;
}

interface SourcePlan {
  /** The Qualys gateway, or "embedded simulator". */
  qualys: string;
  platform?: string;
  auth?: string;
  simulator?: { images: number; containers?: number; seed: number };
  /** The image filter; null reads every image. */
  filter: string | null;
  strategy: string;
  pageSize: number;
  containers?: { filter: string | null; strategy: string; pageSize: number };
  vulnerabilities: { from: string; includeClean: boolean; exceptionDetails: boolean } | null;
}

interface SinkPlan {
  name: string;
  type: string;
  /** The grains it writes: images, findings, packages, software, containers, container-findings. */
  records: string[];
  /** atomic: its output appears whole at the end, or not at all; in-place: written as the run goes. */
  commit: string;
  destination: SinkDestination;
}

/** The paths the command line gives instead of the config's (`run --state`, `--manifest`, `--compare-to`). */
export interface PlanOverrides {
  statePath?: string;
  manifestPath?: string;
  compareTo?: string;
  fullRefresh?: boolean;
}

/**
 * The plan, reading nothing but the state file (without its lock: a plan changes nothing). A state the run would
 * refuse (another subscription, filter or sink; a damaged file) fails the plan with the run's own error.
 */
export async function planOf(
  config: Config,
  choice: ConfigChoice,
  plugins: ReadonlyMap<string, AnySinkPlugin>,
  ctx: RunContext,
  flags: PlanOverrides = {},
): Promise<RunPlan> {
  const reads = listsRead(config.sinks, plugins);
  const stateSetting = flags.statePath ?? config.run.state;
  const statePath = stateSetting === undefined ? undefined : resolveUserPath(stateSetting, ctx.baseDir);
  const compareTo = flags.compareTo ?? config.run.compareTo;
  return {
    config: { file: resolve(choice.file), ...(choice.foundBy !== undefined ? { foundBy: choice.foundBy } : {}) },
    source: sourcePlan(config, reads.containers),
    reads,
    sinks: config.sinks.map((sink) => {
      const plugin = plugins.get(sink.type) as SinkPlugin<unknown>;
      return {
        name: sink.name,
        type: sink.type,
        records: [...sinkGrains(plugin, sink.options)],
        commit: plugin.commit(sink.options),
        destination: plugin.destination?.(sink.options, ctx) ?? { outputs: outputsOf([sink], plugins, ctx).map((o) => o.output) },
      };
    }),
    state: statePath === undefined ? null : await statePlan(config, plugins, statePath, flags.fullRefresh === true),
    manifest: manifestPathOf(flags.manifestPath, config, ctx) ?? null,
    compareTo: compareTo === undefined ? null : resolveUserPath(compareTo, ctx.baseDir),
    warnings: config.warnings ?? [],
  };
}

async function statePlan(config: Config, plugins: ReadonlyMap<string, AnySinkPlugin>, path: string, fullRefresh: boolean): Promise<StatePlan> {
  const next = planRun(await readState(path), identityOf(config, plugins), {
    fullRefresh,
    lookbackMs: config.run.lookbackMinutes * 60_000,
    statePath: path,
  });
  return next.mode === 'full' ? { path, next: 'full', reason: next.reason } : { path, next: 'incremental', since: new Date(next.since).toISOString() };
}

function sourcePlan(config: Config, readsContainers: boolean): SourcePlan {
  const source = config.source;
  const pageSizeOf = (strategy: string, pageSize: number | undefined) =>
    pageSize ?? (strategy === 'bulk' ? PAGE_SIZE_LIMITS.bulk.default : PAGE_SIZE_LIMITS.images.default);
  const containers = source.containers;
  return {
    ...(isSimulatorSource(source)
      ? {
          qualys: 'embedded simulator',
          simulator: {
            images: source.simulator.images,
            ...(source.simulator.containers !== undefined ? { containers: source.simulator.containers } : {}),
            seed: source.simulator.seed,
          },
        }
      : {
          qualys: source.baseUrl,
          ...(source.platform !== undefined ? { platform: source.platform } : {}),
          auth: authKindOf(source.auth),
        }),
    filter: source.filter?.trim() || null,
    strategy: source.strategy,
    pageSize: pageSizeOf(source.strategy, source.pageSize),
    ...(readsContainers
      ? {
          containers: {
            filter: containers.filter.trim() || null,
            strategy: containers.strategy,
            pageSize: pageSizeOf(containers.strategy, containers.pageSize),
          },
        }
      : {}),
    vulnerabilities: source.vulnerabilities
      ? {
          from: source.vulnerabilities.from,
          includeClean: source.vulnerabilities.includeClean,
          exceptionDetails: source.vulnerabilities.exceptionDetails,
        }
      : null,
  };
}

/** The plan as text, for a person: what `run --dry-run` prints without --json. */
export function formatPlan(plan: RunPlan): string {
  const s = plan.source;
  const lines = [
    `plan of ${plan.config.file}${plan.config.foundBy !== undefined ? ` (${plan.config.foundBy})` : ''}`,
    `  source     ${s.qualys}${s.platform !== undefined ? ` (platform ${s.platform})` : ''}${s.auth !== undefined ? `, auth ${s.auth}` : ''}` +
      (s.simulator !== undefined ? `: ${s.simulator.images.toLocaleString('en-US')} images, seed ${s.simulator.seed}` : ''),
  ];
  if (plan.reads.images) {
    lines.push(`  images     ${s.filter ?? 'every image'}; strategy ${s.strategy}, ${s.pageSize} a page`);
    if (s.vulnerabilities) lines.push(`  findings   from ${s.vulnerabilities.from}${s.vulnerabilities.includeClean ? ', clean images included' : ''}`);
    if (plan.reads.software) lines.push("  software   each image's installed packages");
  }
  if (s.containers) lines.push(`  containers ${s.containers.filter ?? 'every container'}; strategy ${s.containers.strategy}, ${s.containers.pageSize} a page`);
  for (const sink of plan.sinks) {
    const where = Object.entries(sink.destination)
      .map(([key, value]) => (value === true ? key : value === false ? undefined : `${key} ${Array.isArray(value) ? value.join(', ') : value}`))
      .filter((part) => part !== undefined)
      .join('; ');
    lines.push(`  sink       ${sink.name === sink.type ? sink.type : `"${sink.name}" (${sink.type})`}: ${sink.records.join(', ')} → ${where} (${sink.commit})`);
  }
  const state = plan.state;
  const stateLine =
    state === null ? 'none: a full run' : `${state.path} (${state.next === 'full' ? `full: ${state.reason}` : `incremental: since ${state.since}`})`;
  lines.push(`  state      ${stateLine}`);
  lines.push(`  manifest   ${plan.manifest ?? 'none'}`);
  if (plan.compareTo !== null) lines.push(`  compare to ${plan.compareTo}`);
  for (const warning of plan.warnings) lines.push(`  ⚠ ${warning}`);
  return lines.join('\n');
}
