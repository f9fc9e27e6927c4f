import { outputPathFor, tlsVerificationDisabled, type AnySinkPlugin, type RunContext } from '@qcs-export/core';
import type { Config } from '../config/schema.js';
import { outputsOf } from '../outputs.js';
import { grainOf } from '../sink-declarations.js';
import type { RunTrace } from '../run/result.js';
import { digestFile, type FileDigest } from './file-digest.js';
import type { FindingsFileEntry } from './findings-file.js';
import type { ComparisonReport } from './previous-run.js';
import { canonicalJson, redactedConfig, sha256 } from './redacted-config.js';
import { writeJsonAtomically } from './write-json.js';

/** What the incremental state did in this run, for the manifest. */
export interface StateReport {
  path: string;
  mode: 'full' | 'incremental';
  /** Why a full run: no state yet, or --full-refresh. */
  reason?: string;
  /** The `updated>=` bound asked for (ISO), on an incremental run. */
  since?: string;
  /** Images re-read in the lookback window and dropped because every sink already has them. */
  overlapSkipped?: number;
  /** The high-water mark the state holds after the run (ISO), or the previous one when it was not updated. */
  highWaterMark?: string | null;
  updated: boolean;
}

export interface ManifestInput {
  config: Config;
  plugins: ReadonlyMap<string, AnySinkPlugin>;
  ctx: RunContext;
  trace: RunTrace;
  toolVersion: string;
  startedAt: Date;
  endedAt: Date;
  exitCode: number;
  error?: { code: string; message: string };
  state?: StateReport;
  /** The run's findings file, for a later run compared with this one; only for a committed run. */
  findings?: FindingsFileEntry;
  /** With --compare-to: the run compared with, what is new, open and fixed, and the images gone. */
  compare?: ComparisonReport;
  redact: (text: string) => string;
}

/**
 * The audit manifest: how an export was made, written at the end of every run, successful or not. Every file a
 * committed run names is listed with its size and SHA-256, so an auditor can check a spreadsheet against it; a run
 * that failed lists none, since it replaced none. Secrets are removed before anything is put in it.
 */
export async function buildManifest(input: ManifestInput): Promise<Record<string, unknown>> {
  const { config, plugins, ctx, trace } = input;
  const shownConfig = redactedConfig(config, plugins, input.redact);
  const files: Array<FileDigest & { sink: string }> = [];
  if (trace.committed) {
    for (const { output, sink } of outputsOf(config.sinks, plugins, ctx)) {
      if (output === 'stdout') continue;
      const digest = await digestFile(output);
      if (digest) files.push({ sink, ...digest });
    }
  }
  const client = trace.clientStats;
  const source = trace.sourceStats;
  const manifest = {
    manifestVersion: 1,
    runId: trace.runId,
    tool: { name: 'qcs-export', version: input.toolVersion },
    startedAt: input.startedAt.toISOString(),
    endedAt: input.endedAt.toISOString(),
    durationMs: input.endedAt.getTime() - input.startedAt.getTime(),
    exitCode: input.exitCode,
    outcome: input.exitCode === 0 ? 'succeeded' : trace.committed ? 'completed with rejected records' : 'failed',
    ...(input.error ? { error: input.error } : {}),
    // NODE_TLS_REJECT_UNAUTHORIZED=0 turns certificate checks off for every connection of the run: an auditor must see it.
    tlsVerificationDisabled: tlsVerificationDisabled(),
    config: { file: config.file, sha256: sha256(canonicalJson(shownConfig)), effective: shownConfig },
    source: {
      target: trace.sourceLabel ?? null,
      filter: config.source.filter ?? null,
      filterSent: trace.effectiveFilter ?? null,
      strategy: source?.strategy ?? null,
      strategyReason: source?.strategyReason ?? null,
      expectedAtStart: source?.expectedAtStart ?? null,
      countAtEnd: source?.countAtEnd ?? null,
      imagesRead: source?.records ?? 0,
      duplicatesDropped: source?.duplicatesDropped ?? 0,
      ...(trace.enrichment ? { findings: { ...trace.enrichment } } : {}),
      ...(trace.containers
        ? {
            containers: {
              filterSent: trace.containers.filter ?? null,
              strategy: trace.containers.stats.strategy ?? null,
              strategyReason: trace.containers.stats.strategyReason ?? null,
              expectedAtStart: trace.containers.stats.expectedAtStart ?? null,
              countAtEnd: trace.containers.stats.countAtEnd ?? null,
              containersRead: trace.containers.stats.records,
              duplicatesDropped: trace.containers.stats.duplicatesDropped,
              ...(trace.containers.lookups ? { imageLookups: { ...trace.containers.lookups } } : {}),
            },
          }
        : {}),
    },
    requests: {
      total: client?.requests ?? 0,
      byEndpoint: client?.requestsByEndpoint ?? {},
      byRateBudget: client?.requestsByBucket ?? {},
      retries: client?.retries ?? 0,
      rateLimitWaits: client?.rateLimitWaits ?? 0,
      status429: client?.status429 ?? 0,
    },
    sinks: config.sinks.map((s, i) => {
      const summary = trace.sinkSummaries.find((x) => x.name === s.name && x.type === s.type);
      const grain = grainOf(plugins.get(s.type), s.options);
      return {
        name: s.name,
        type: s.type,
        records: grain,
        committed: summary !== undefined && summary.published !== 'restored',
        // What publishing did to the previous output: replaced, created, restored (put back after a failure), or
        // "not published" (the run failed before this sink published; its previous output was not touched).
        published: summary?.published ?? (summary ? 'replaced' : 'not published'),
        target: summary?.target ?? null,
        delivered: summary?.delivered ?? null,
        written: summary?.records ?? 0,
        rejected: summary?.rejected ?? 0,
        ...(summary?.details?.['deadLetter'] !== undefined ? { deadLetter: summary.details['deadLetter'] } : {}),
        files: files.filter((f) => f.sink === `sinks[${i}] (${s.name})`).map(({ sink: _sink, ...f }) => f),
      };
    }),
    ...(input.state ? { state: input.state } : {}),
    ...(input.findings ? { findings: input.findings } : {}),
    ...(input.compare ? { compare: input.compare } : {}),
  };
  // A last pass over the whole text: a secret that reached any field (an error message, a path) leaves as "[redacted]".
  return JSON.parse(input.redact(JSON.stringify(manifest))) as Record<string, unknown>;
}

/** Where the manifest goes: --manifest wins over run.manifest; {date}, {time} and {datetime} expand as in output paths. */
export function manifestPathOf(flag: string | undefined, config: Config, ctx: RunContext): string | undefined {
  const template = flag ?? config.run.manifest;
  return template === undefined ? undefined : outputPathFor(template, ctx);
}

export async function writeManifest(path: string, input: ManifestInput): Promise<void> {
  await writeJsonAtomically(path, await buildManifest(input));
}
