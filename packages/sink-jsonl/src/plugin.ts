import { checkWritable, defineSinkPlugin, deferredSink, deltaFileSupport, findingsDemandOf, outputPathFor, takesFixedFindingsAt } from '@qcs-export/core/sink';
import type { SinkDestination } from '@qcs-export/core/sink';
import type { JsonlSinkDeps } from './jsonl-sink.js';
import { jsonlOptions } from './options.js';

/**
 * The JSON Lines sink: a file (.gz compresses) or stdout, committed atomically. This module is what the runner loads
 * for every config, as for the other sinks; the writer loads when a run opens the sink.
 */
export function createJsonlPlugin(deps: JsonlSinkDeps = {}) {
  return defineSinkPlugin({
    type: 'jsonl',
    description: 'JSON Lines: one normalized image per line, to a file (.gz compresses) or stdout ("-")',
    options: jsonlOptions,
    // A file is renamed into place at the end; stdout is read by the next program as it is written.
    commit: (options) => (options.path === '-' ? 'in-place' : 'atomic'),
    needsFindings: (options) => findingsDemandOf(options.records),
    grains: (options) => [options.records],
    create: (options, ctx) => deferredSink(async () => (await import('./jsonl-sink.js')).createJsonlSink(options, ctx, deps)),
    async check(options, ctx) {
      if (options.path !== '-') await checkWritable(outputPathFor(options.path, ctx));
    },
    outputs: (options, ctx) => [options.path === '-' ? 'stdout' : outputPathFor(options.path, ctx)],
    destination: (options, ctx): SinkDestination =>
      options.path === '-' ? { stdout: true } : { path: outputPathFor(options.path, ctx), gzip: options.path.endsWith('.gz') },
    incremental: (options) => deltaFileSupport(options.path, `lines (${options.records})`),
    stateTarget: (options) => ({ target: options.path, records: options.records }),
    takesFixedFindings: (options) => takesFixedFindingsAt(options.records),
  });
}

export const jsonlSink = createJsonlPlugin();
