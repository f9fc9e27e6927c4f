import {
  grainReads,
  sinkGrains,
  NetworkError,
  OutputClosedError,
  SinkError,
  takesFixedFindingsAt,
  TimeoutError,
  type AnySinkPlugin,
  type Logger,
  type RunContext,
  type Sink,
  type SinkPlugin,
} from '@qcs-export/core';
import type { SinkConfig } from '../config/schema.js';

/** A sink of the run, by the name the config gives it, with how its plugin says it commits. */
export interface RunSink {
  name: string;
  type: string;
  sink: Sink;
  /** Whether what it sent stays visible after an abort (an index, stdout): see SinkCommit. */
  inPlace: boolean;
  /** It writes image findings (or packages): in a compared run it also gets the fixed findings (Sink.writeFindings). */
  findings: boolean;
  /** It writes a grain made from images: it gets the image batches (Sink.write). */
  images: boolean;
  /** It writes a grain made from containers: it gets the container batches (Sink.writeContainers). */
  containers: boolean;
  /** Set once its open() succeeded: only such a sink can have sent anything. */
  opened?: boolean;
  /**
   * How messages name it: by its type and destination ("jsonl out/images.jsonl") when the config gives it no name of
   * its own, so two sinks of one type can be told apart; else by that name and its type.
   */
  label: string;
}

/** One sink per config entry, created but not opened: nothing is written before the first page arrives. */
export function createRunSinks(sinks: readonly SinkConfig[], plugins: ReadonlyMap<string, AnySinkPlugin>, ctx: RunContext): RunSink[] {
  return sinks.map((s) => {
    const plugin = plugins.get(s.type) as SinkPlugin<unknown>;
    const grains = sinkGrains(plugin, s.options);
    const target = plugin.stateTarget?.(s.options).target;
    return {
      label: s.name === s.type && target ? `${s.type} ${target === '-' ? 'stdout' : target}` : `"${s.name}" (${s.type})`,
      name: s.name,
      type: s.type,
      sink: plugin.create(s.options, ctx),
      inPlace: plugin.commit(s.options) === 'in-place',
      findings: grains.some(takesFixedFindingsAt),
      images: grains.some((g) => grainReads(g) === 'images'),
      containers: grains.some((g) => grainReads(g) === 'containers'),
    };
  });
}

/**
 * Which lists a run reads: the images when a sink writes an image grain, the containers when one writes a container grain;
 * and whether it fetches each image's installed packages (a sink writes the software grain).
 */
export function listsRead(
  sinks: readonly SinkConfig[],
  plugins: ReadonlyMap<string, AnySinkPlugin>,
): { images: boolean; containers: boolean; software: boolean } {
  const grains = sinks.flatMap((s) => sinkGrains(plugins.get(s.type) as SinkPlugin<unknown>, s.options));
  return {
    images: grains.some((g) => grainReads(g) === 'images'),
    containers: grains.some((g) => grainReads(g) === 'containers'),
    software: grains.includes('software'),
  };
}

/**
 * Aborts every sink after a failure. An atomic sink's abort leaves its previous output as it was; an in-place one that
 * had opened keeps what it sent before the failure: say so, so nobody takes a half-filled index for a finished export.
 */
export async function abortRunSinks(sinks: readonly RunSink[], reason: unknown, logger: Logger): Promise<void> {
  await Promise.all(sinks.map(({ sink }) => sink.abort(reason).catch((e: unknown) => logger.warn(`aborting a sink failed: ${(e as Error).message}`))));
  // A reader that closed stdout took what it wanted: nothing to warn about.
  if (reason instanceof OutputClosedError) return;
  for (const s of sinks) {
    if (!s.opened || !s.inPlace) continue;
    logger.warn(`sink ${s.label} writes as it goes: what it sent before the failure stays there; re-run the export to complete it`);
  }
}

/** A sink's failure, named after the sink: the same error class and code, its message prefixed. */
export function labelled(name: string, error: unknown): unknown {
  if (error instanceof SinkError) return new SinkError(`sink "${name}": ${error.message}`, { cause: error });
  // A sink's connection failures (Elasticsearch down or too slow) keep their code, like the source's.
  if (error instanceof NetworkError || error instanceof TimeoutError) {
    const Labelled = error instanceof NetworkError ? NetworkError : TimeoutError;
    return new Labelled(`sink "${name}": ${error.detail}`, { cause: error, setting: error.setting, hint: error.hint });
  }
  return error;
}
