import { checkTabularOutput, defineSinkPlugin, deferredSink, outputPathFor } from '@qcs-export/core/sink';
import { excelOptions, findingsOptionDeprecation, workbookGrains } from './options.js';

/**
 * The Excel sink: Images sheets (rolled over at Excel's row limit) and a Summary sheet, streamed, committed
 * atomically. exceljs costs about a third of a second of CPU to import, so it loads only when a run opens the sink.
 */
export const excelSink = defineSinkPlugin({
  type: 'excel',
  description: 'Excel .xlsx for compliance: real dates and numbers, frozen filtered header, severity colours, Summary sheet',
  options: excelOptions,
  commit: () => 'atomic',
  needsFindings: (options) =>
    workbookGrains(options).findings !== false && { option: options.records === undefined ? 'findings' : 'records', setting: 'this sink' },
  deprecations: findingsOptionDeprecation,
  create: (options, ctx) => deferredSink(async () => (await import('./excel-sink.js')).createExcelSink(options, ctx)),
  // A compared run's fixed findings go on the Findings sheets and, with the new ones, on a Changes sheet.
  takesFixedFindings: (options) => workbookGrains(options).findings !== false,
  check: (o, ctx) => checkTabularOutput({ columns: o.columns, joinWith: o.joinWith, path: o.path }, ctx),
  outputs: (options, ctx) => [outputPathFor(options.path, ctx)],
  // A workbook is evidence of the whole inventory (its Summary counts, its SLA sheet): one holding only the images
  // changed since the last run would pass for that. Writing the whole inventory instead would make every run full.
  incremental: () => ({
    ok: false,
    reason:
      'a workbook is a snapshot of the whole inventory (Summary and SLA sheets count everything in it), so it cannot hold only the changes; ' +
      'export it from a config without run.state (it may share the source settings)',
  }),
  // Refused in incremental runs above, so no state holds a workbook; declared all the same, so the plugin says what
  // a state would record (one row per image while it has Images sheets, whatever findings add beside them).
  stateTarget: (options) => {
    const grains = workbookGrains(options);
    return { target: options.path, records: grains.images ? 'images' : (grains.findings as string) };
  },
});
