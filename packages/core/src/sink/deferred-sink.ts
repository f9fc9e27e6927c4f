import { SinkError } from '../errors.js';
import type { RunContainer } from '../container-record.js';
import type { FindingRecord } from '../findings/finding-record.js';
import type { ImageRecord } from '../record.js';
import type { Sink, SinkSummary } from './contract.js';

/**
 * A sink whose implementation is loaded when it opens. A plugin's `create()` is synchronous, but the libraries
 * behind a sink (exceljs, the Elasticsearch client) take a few hundred milliseconds of CPU to import; loading them
 * only for the sinks a config uses keeps `--version`, `validate` and a JSON Lines run from paying for all of them.
 *
 * open() is always the first call the runner makes, so it is where the import happens. abort() before or during
 * open() waits for the load, then aborts the real sink if there is one.
 */
export function deferredSink(load: () => Promise<Sink>): Sink {
  let loading: Promise<Sink> | undefined;
  let real: Sink | undefined;
  const loaded = (): Sink => {
    if (!real) throw new Error('sink used before open()');
    return real;
  };
  return {
    async open() {
      loading ??= load();
      real = await loading;
      await real.open();
    },
    write: (batch: readonly ImageRecord[]) => loaded().write(batch),
    async writeFindings(rows: readonly FindingRecord[]) {
      const sink = loaded();
      if (!sink.writeFindings) throw new SinkError('this sink does not take finding rows of a compared run');
      await sink.writeFindings(rows);
    },
    async writeContainers(batch: readonly RunContainer[]) {
      const sink = loaded();
      if (!sink.writeContainers) throw new SinkError('this sink does not take containers');
      await sink.writeContainers(batch);
    },
    prepare: async () => loaded().prepare?.(),
    close: (): Promise<SinkSummary> => loaded().close(),
    // Passed on, or the run could neither undo a published file when another sink fails nor drop its backup.
    rollback: async () => loaded().rollback?.(),
    settle: async () => loaded().settle?.(),
    async abort(reason: unknown) {
      if (!loading) return;
      const sink = await loading.catch(() => undefined);
      await sink?.abort(reason);
    },
  };
}
