import {
  checkTabularOutput,
  defineSinkPlugin,
  deferredSink,
  deltaFileSupport,
  findingsDemandOf,
  outputPathFor,
  takesFixedFindingsAt,
} from '@qcs-export/core/sink';
import { csvOptions } from './options.js';

/**
 * The CSV sink: compliance columns, RFC 4180 quoting, BOM, formula-safe, committed atomically. This module is what
 * the runner loads for every config; the writer and its library load only when a run opens the sink.
 */
export const csvSink = defineSinkPlugin({
  type: 'csv',
  description: 'CSV for spreadsheets: one row per image, RFC 4180, UTF-8 BOM, formula-injection safe',
  options: csvOptions,
  commit: () => 'atomic',
  needsFindings: (options) => findingsDemandOf(options.records),
  grains: (options) => [options.records],
  create: (options, ctx) => deferredSink(async () => (await import('./csv-sink.js')).createCsvSink(options, ctx)),
  check: checkTabularOutput,
  outputs: (options, ctx) => [outputPathFor(options.path, ctx)],
  destination: (options, ctx) => ({ path: outputPathFor(options.path, ctx) }),
  incremental: (options) => deltaFileSupport(options.path, `rows (${options.records})`),
  stateTarget: (options) => ({ target: options.path, records: options.records }),
  takesFixedFindings: (options) => takesFixedFindingsAt(options.records),
});
