import { AbortedError, isQcsError, QcsError, SinkError, SinkIncompleteError, type Logger, type SinkSummary } from '@qcs-export/core';
import { labelled, type RunSink } from '../run-sinks.js';

/** A sink's summary as the audit manifest records it: with its name, and what its publishing did in the end. */
export type PublishedSummary = SinkSummary & { name: string };

/**
 * The first phase of the run's commit: every sink finishes and syncs its output, publishing nothing. A sink failing
 * here (a full disk at the last flush, a refresh answered 503) thus fails the run before any sink has replaced its
 * previous output.
 */
export async function prepareAll(sinks: readonly RunSink[], signal: AbortSignal): Promise<void> {
  await Promise.all(sinks.map(({ name, sink }) => sink.prepare?.().catch((e: unknown) => Promise.reject(labelled(name, e)))));
  if (signal.aborted) throw new AbortedError();
}

/**
 * The second phase of the run's commit, all or nothing: every sink publishes (close()), then the run checks that each
 * one accounts for every record it was given. If a sink fails to publish, or one does not account for its records,
 * every sink that had already published puts its previous output back (rollback()), newest first, and the failure is
 * thrown: the caller aborts the rest. Only when all have published and all add up does each drop its backup
 * (settle()). `onPublished` sees each summary as it comes and again when a rollback changes it, for the manifest.
 */
export async function publishAll(
  sinks: readonly RunSink[],
  logger: Logger,
  signal: AbortSignal,
  onPublished: (summaries: PublishedSummary[]) => void,
): Promise<SinkSummary[]> {
  const published: Array<{ entry: RunSink; summary: PublishedSummary }> = [];
  const report = () => onPublished(published.map((p) => p.summary));
  try {
    for (const entry of sinks) {
      // An interrupt between two renames rolls back the ones made: a run stopped while publishing replaces nothing.
      if (signal.aborted) throw new AbortedError();
      const summary = await entry.sink.close().catch((e: unknown) => Promise.reject(labelled(entry.name, e)));
      published.push({ entry, summary: { name: entry.name, ...summary } });
      report();
    }
    checkAccounting(published.map((p) => p.summary));
    if (signal.aborted) throw new AbortedError();
  } catch (error) {
    const notRestored = await rollBack(published, logger);
    report();
    if (notRestored.length > 0) throw withUnrestored(error, notRestored);
    throw error;
  }
  await Promise.all(
    published.map(({ entry }) =>
      entry.sink.settle?.().catch((e: unknown) => logger.warn(`sink "${entry.name}": its output is in place, but ${(e as Error).message}`)),
    ),
  );
  return published.map(({ summary: { name: _name, ...summary } }) => summary);
}

/**
 * Every sink must account for every record it was given: written + rejected (dead-lettered) = delivered. A destination
 * that answered "ok" for records it never stored (a proxy losing a bulk answer) shows here as a shortfall.
 */
export function checkAccounting(summaries: readonly PublishedSummary[]): void {
  const problems: string[] = [];
  for (const s of summaries) {
    if (s.delivered === undefined) continue;
    const accounted = s.records + s.rejected;
    if (accounted === s.delivered) continue;
    const gap = accounted < s.delivered ? `${fmt(s.delivered - accounted)} unaccounted for` : `${fmt(accounted - s.delivered)} more than it was given`;
    problems.push(
      `sink "${s.name}" (${s.type} → ${s.target}) was given ${fmt(s.delivered)} records and reports ${fmt(s.records)} written ` +
        `+ ${fmt(s.rejected)} rejected: ${gap}`,
    );
  }
  if (problems.length === 0) return;
  throw new SinkIncompleteError(`${problems.join('; ')}.`, {
    hint:
      'No file output was replaced and the incremental state did not move. Check what stands between qcs-export and the destination ' +
      '(a proxy or load balancer that drops or rewrites answers), then run the export again.',
  });
}

/** Puts back the previous outputs of the sinks that published, newest first; returns those it could not restore. */
async function rollBack(published: Array<{ entry: RunSink; summary: PublishedSummary }>, logger: Logger): Promise<string[]> {
  const notRestored: string[] = [];
  for (const p of [...published].reverse()) {
    // An in-place sink (an index, stdout) has no previous output to put back.
    if (!p.entry.sink.rollback || p.entry.inPlace) continue;
    try {
      await p.entry.sink.rollback();
      p.summary = { ...p.summary, published: 'restored' };
    } catch (error) {
      logger.error(`sink "${p.entry.name}": could not put the previous ${p.summary.target} back: ${(error as Error).message}`);
      notRestored.push(p.summary.target);
    }
  }
  return notRestored;
}

/** The failure, saying which published outputs could not be put back: the user must know those were replaced. */
function withUnrestored(error: unknown, targets: readonly string[]): Error {
  const base = error instanceof Error ? error.message : String(error);
  const detail = `${base} Publishing was rolled back, except for ${targets.join(', ')}, which now hold this failed run's output.`;
  // The failure keeps its code (and so its exit code): what could not be restored is added to what went wrong.
  return isQcsError(error) ? new QcsError(error.code, detail, { cause: error }) : new SinkError(detail, { cause: error });
}

function fmt(n: number): string {
  return n.toLocaleString('en-US');
}
