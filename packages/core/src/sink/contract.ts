import type { z } from 'zod';
import type { RunContainer } from '../container-record.js';
import type { FindingRecord } from '../findings/finding-record.js';
import type { RecordGrain } from '../record-grains.js';
import type { Logger } from '../logger.js';
import type { ImageRecord } from '../record.js';
import type { SlaPolicy } from '../sla-policy.js';

/** What a sink reports when it closes; the runner prints it in the run summary. */
export interface SinkSummary {
  /** The plugin type, e.g. "jsonl". */
  type: string;
  /** Where the data went: a file path, "stdout", an index name. Never contains credentials. */
  target: string;
  /** Records written successfully. */
  records: number;
  /** Records the destination refused (dead-lettered). A non-zero count ends the run with exit code 3. */
  rejected: number;
  /**
   * Records the sink was given, at its own grain (images, or the findings / packages rows it derived from them). The
   * run checks `records + rejected === delivered` for every sink before anything is published, so a destination that
   * answered "ok" for records it never stored fails the run. LifecycleSink fills it in from countDelivered().
   */
  delivered?: number;
  /**
   * What publishing did to the destination's previous output: "replaced" (a file was there and is now the new one),
   * "created" (nothing was there), "restored" (the run failed after publishing, and the previous output was put
   * back), "incremental" (an in-place sink, an index or stdout: written as it went). For the audit manifest.
   */
  published?: 'replaced' | 'created' | 'restored' | 'incremental';
  /** Bytes written, where the sink knows it. */
  bytes?: number;
  /** Anything else worth printing (dead-letter file, pages, sheets). */
  details?: Record<string, unknown>;
}

/**
 * The run this one is compared with (`run --compare-to`), as sinks see it: whether a finding of this run was already
 * open in it. The findings that were in it and are gone from this run come to the findings sinks at the end, through
 * Sink.writeFindings(), as records whose change is "fixed".
 */
export interface RunComparison {
  /** new: the image × QID was not a finding of the previous run; open: it was. */
  changeOf(sha: string, qid: number): 'new' | 'open';
  /** The previous run's id and start, as its manifest records them. */
  previousRunId: string | null;
  previousStartedAt: string | null;
}

/** Facts about the run that sinks may record (Excel summary sheet, ES @timestamp). */
export interface RunContext {
  /** When the export started. Shared by every sink so that every output carries the same time. */
  startedAt: Date;
  /** qcs-export version. */
  toolVersion: string;
  /** Where the data comes from: a base URL without credentials, or "simulator". */
  sourceLabel: string;
  /** The QQL filter, if any. */
  filter: string | undefined;
  /** Directory relative output paths are resolved against: the working directory the command was run from. */
  baseDir: string;
  logger: Logger;
  /** Aborted when the run is interrupted; sinks stop waiting on I/O when it fires. */
  signal: AbortSignal;
  /** Days to fix a finding by severity (source.sla), for the findings and packages grains. Default: DEFAULT_SLA. */
  sla?: SlaPolicy;
  /**
   * This run's id, as its audit manifest names it. Elasticsearch documents carry it, so that the documents a run did
   * not write (fixed findings, images gone from the subscription) can be told apart and removed.
   */
  runId?: string;
  /**
   * What this run delivers: every image the filter matches ("full", the default), or only those changed since the
   * last run ("changes", an incremental run). A sink must not take an image missing from a "changes" run for gone.
   */
  coverage?: 'full' | 'changes';
  /**
   * Hides every secret the run knows (the Qualys credentials as well as every sink's) in a text: for what a sink
   * writes that may quote a server's words, such as a dead-letter file. Default: nothing hidden but the sink's own.
   */
  redact?: (text: string) => string;
  /** With `run --compare-to`: the run this one is compared with. Finding rows then carry `change` (rowsOf does it). */
  compare?: RunComparison;
}

/**
 * One run of one destination. The runner calls open() once, write() per batch (never concurrently, and
 * waits for the returned promise: that wait is the backpressure), then exactly one of close() or abort().
 *
 * A sink never leaves a partial result under its final name: it writes to a temporary name and commits in
 * close(); abort() removes whatever it wrote. abort() must be safe to call at any point, also before open()
 * finished and after a failed write().
 */
export interface Sink {
  open(): Promise<void>;
  write(batch: readonly ImageRecord[]): Promise<void>;
  /**
   * Finding rows that come from no image of this run: with `run --compare-to`, after the last write(), the findings
   * of the previous run that are gone, as records whose change is "fixed". Counted as delivered like the rows the sink
   * derives from images. Optional: a plugin whose takesFixedFindings() says yes for its options must implement it.
   */
  writeFindings?(rows: readonly FindingRecord[]): Promise<void>;
  /**
   * The containers the run reads, batch by batch, after the last batch of images (when it reads images at all):
   * each with the image it runs when the run looked that image up. Called like write(), never concurrently. Optional:
   * a plugin whose grains() name a container grain must implement it.
   */
  writeContainers?(batch: readonly RunContainer[]): Promise<void>;
  /**
   * First phase of the run's two-phase commit: finish and sync everything (flush, fsync the temporary file,
   * refresh an index) without publishing, so that the failures that happen at the end (a full disk at the last
   * flush, a refresh answered 503) happen here, before any sink has replaced its previous output. After it the
   * runner calls close() (publish: rename into place) or abort(). Optional: without it, close() does both.
   */
  prepare?(): Promise<void>;
  close(): Promise<SinkSummary>;
  /**
   * After close() succeeded, when another sink failed to publish: put the previous output back, byte for byte (or
   * remove the new file when there was none), and remove the backup. Optional: an in-place sink has nothing to undo.
   */
  rollback?(): Promise<void>;
  /**
   * After every sink published: drop what close() kept to make rollback() possible (the previous output's backup).
   * Optional. A failure here is a warning, not a failed run: every output is already in place.
   */
  settle?(): Promise<void>;
  abort(reason: unknown): Promise<void>;
}

/**
 * How a sink's output becomes visible, and so what abort() means for it:
 * - 'atomic': nothing is visible until close() publishes it (a temporary file renamed into place); abort() removes
 *   everything written, and a previous output under the same name stays as it was.
 * - 'in-place': records are visible as they are sent (an index, stdout); abort() stops sending, and what was sent
 *   stays. Such a sink must be idempotent, so that re-running the export converges on one copy of each record.
 * (Not to be confused with incremental runs, which read only what changed since the last run: see IncrementalSupport.
 * A summary's `published` still says "incremental" for an in-place sink, since manifests already carry that word.)
 */
export type SinkCommit = 'atomic' | 'in-place';

/**
 * How a sink takes part in incremental runs (run.state), where each run delivers only the images changed since the
 * last one: `meaning` says what its output then holds, for the docs; a refusal says why it cannot, and what to do.
 */
export type IncrementalSupport = { ok: true; meaning: string } | { ok: false; reason: string; option?: string };

/** The option of a sink's config that makes it write findings ("records"), and that setting as a message names it ("records: findings"). */
export interface FindingsDemand {
  option: string;
  setting: string;
}

/**
 * What an incremental run's state file records for one sink, so that a later run can tell whether the sink still
 * writes what the state's high-water mark was acknowledged for. `target` is the destination as the config names it
 * (a path template, an index), unresolved so that {date} in it does not look like a new destination every day; null
 * when the sink has none to name. `records` is the grain it writes ("images", "findings", …).
 */
export interface StateTarget {
  target: string | null;
  records: string;
}

/** A sink's destination as a plan shows it: plain values by name (see SinkPlugin.destination). */
export type SinkDestination = Readonly<Record<string, string | boolean | readonly string[]>>;

export interface SinkPlugin<O = unknown> {
  /** The `type` key in the config, e.g. "jsonl". */
  type: string;
  /** One line for `qcs-export --help` and the README. */
  description: string;
  /** Validates and defaults the sink's options from the config (without the `type` key). */
  options: z.ZodType<O>;
  /** How this sink, with these options, commits its output; see SinkCommit. */
  commit(options: O): SinkCommit;
  create(options: O, ctx: RunContext): Sink;
  /** Optional pre-flight for `qcs-export validate`: checks the destination is usable without writing to it. */
  check?(options: O, ctx: RunContext): Promise<void>;
  /** Credentials in the options, so the runner can keep them out of every log line and message. */
  secrets?(options: O): string[];
  /**
   * Whether these options write findings, which need the source to fetch each image's vulnerabilities: false, or the
   * option that asks for them, so a config error points at it. Default: no.
   */
  needsFindings?(options: O): false | FindingsDemand;
  /**
   * The grains these options write (RECORD_GRAINS), so the run reads the lists they are made from: the images for
   * image grains, the containers for container grains, both when a sink (or two sinks) ask for both. Default:
   * ["images"].
   */
  grains?(options: O): readonly RecordGrain[];
  /**
   * Every place this sink would write in a run: resolved file paths (dead-letter files included), or "stdout". The
   * runner refuses a config in which two sinks name the same one, since one would silently overwrite the other.
   */
  outputs?(options: O, ctx: RunContext): string[];
  /**
   * Where this sink writes, as `validate --json` and `run --dry-run` show it before a run: `path` (absolute) or
   * `stdout` for a file sink; the index or data stream and the nodes for a cluster. No credential may appear in it.
   * Default: the outputs() list.
   */
  destination?(options: O, ctx: RunContext): SinkDestination;
  /** Whether and how this sink takes part in incremental runs; a plugin that does not say is refused in them. */
  incremental?(options: O): IncrementalSupport;
  /**
   * What the state of an incremental run records for this sink (see StateTarget). A run whose sinks do not match the
   * state's is refused, since the high-water mark says nothing about a new destination. Required for a plugin whose
   * incremental() says ok: without it the runner refuses the sink in incremental runs.
   */
  stateTarget?(options: O): StateTarget;
  /**
   * Whether this sink, with these options, takes the fixed findings of a compared run (`run --compare-to`) through
   * Sink.writeFindings(). A sink that writes findings and does not is refused in a compared run, before it starts.
   */
  takesFixedFindings?(options: O): boolean;
  /**
   * Tables the plugin documents beyond its options (a field mapping…), in markdown, by the name of their README
   * markers (`<!-- options:NAME:start -->`): generated like the option tables, so the README cannot fall behind.
   */
  readmeTables?: Readonly<Record<string, string>>;
  /**
   * Options these options use that are on their way out, each as one sentence saying what to write instead: the run
   * logs them as warnings and `validate` prints them. Default: none.
   */
  deprecations?(options: O): string[];
}

/**
 * A plugin of any options type, as a registry holds them: each plugin checks its own options with its schema, so the
 * map cannot name one type for all.
 */
// biome-ignore lint/suspicious/noExplicitAny: the options type differs per plugin; each validates its own
export type AnySinkPlugin = SinkPlugin<any>;

/**
 * Where a sink is in its life: open() once, write() while open, prepare() once, then exactly one of close() or abort();
 * after close(), settle() or rollback().
 */
export type SinkState = 'new' | 'open' | 'prepared' | 'closed' | 'rolled-back' | 'aborted';

/** Type helper so a plugin's options type is inferred from its schema. */
export function defineSinkPlugin<S extends z.ZodType>(plugin: {
  type: string;
  description: string;
  options: S;
  commit(options: z.output<S>): SinkCommit;
  create(options: z.output<S>, ctx: RunContext): Sink;
  check?(options: z.output<S>, ctx: RunContext): Promise<void>;
  secrets?(options: z.output<S>): string[];
  needsFindings?(options: z.output<S>): false | FindingsDemand;
  grains?(options: z.output<S>): readonly RecordGrain[];
  outputs?(options: z.output<S>, ctx: RunContext): string[];
  destination?(options: z.output<S>, ctx: RunContext): SinkDestination;
  incremental?(options: z.output<S>): IncrementalSupport;
  stateTarget?(options: z.output<S>): StateTarget;
  takesFixedFindings?(options: z.output<S>): boolean;
  readmeTables?: Readonly<Record<string, string>>;
  deprecations?(options: z.output<S>): string[];
}): SinkPlugin<z.output<S>> {
  return plugin as SinkPlugin<z.output<S>>;
}
