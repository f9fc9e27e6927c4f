import { AbortedError, type Sink } from '@qcs-export/core';
import { labelled, type RunSink } from '../run-sinks.js';

/**
 * The stage that writes: every batch to every sink it is for at once, the next batch only when all of them took it
 * (the wait on the write is the backpressure). The first batch is read before any sink opens, so bad credentials or a
 * rejected filter fail the run without creating a single file or directory; a run that reads images and then
 * containers opens the sinks once, on the first batch of the first list. The iterator is left for the caller to
 * close, since a failure here must not wait for the source to wind down before the sinks abort.
 */
export async function fanOut<B>(
  batches: AsyncIterator<B[]>,
  sinks: readonly RunSink[],
  options: {
    signal: AbortSignal;
    /** The sinks the batches are for; the others are opened with them but given none. Default: every sink. */
    to?: readonly RunSink[];
    /** How a sink takes a batch: write() for images, writeContainers() for containers. */
    write: (sink: Sink, batch: readonly B[]) => Promise<void>;
    onBatch?: (batch: readonly B[]) => void;
    /** Sees each batch once every sink took it (the run's findings file, the comparison with a previous run). */
    observe?: (batch: readonly B[]) => Promise<void>;
  },
): Promise<void> {
  const { signal } = options;
  const targets = options.to ?? sinks;
  let next = await batches.next();
  await settleAll(
    sinks
      .filter((entry) => !entry.opened)
      .map(async (entry) => {
        await entry.sink.open();
        entry.opened = true;
      }),
  );
  for (; !next.done; next = await batches.next()) {
    if (signal.aborted) throw new AbortedError();
    const batch = next.value;
    await Promise.all(targets.map(({ name, sink }) => options.write(sink, batch).catch((e: unknown) => Promise.reject(labelled(name, e)))));
    await options.observe?.(batch);
    options.onBatch?.(batch);
  }
  if (signal.aborted) throw new AbortedError();
}

/**
 * Waits for every sink's open() to end before the first failure is thrown. With Promise.all the run would abort and
 * return while another sink was still creating its temporary file; that open() removes the file once it sees the
 * abort, but the process may have exited by then and left the file behind.
 */
async function settleAll(calls: readonly Promise<unknown>[]): Promise<void> {
  const failed = (await Promise.allSettled(calls)).find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) throw failed.reason;
}
