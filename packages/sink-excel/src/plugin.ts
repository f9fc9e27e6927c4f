import { checkTabularOutput, defineSinkPlugin, deferredSink, findingsDemandOf, outputPathFor, takesFixedFindingsAt } from '@qcs-export/core/sink';
import { columnsGrain, excelOptions, findingsOptionDeprecation, workbookGrains } from './options.js';

/**
 * The Excel sink: Images, Findings, Software, Containers and Container Findings sheets (each rolled over at Excel's row
 * limit) and a Summary sheet, streamed, committed atomically. exceljs costs about a third of a second of CPU to import,
 * so it loads only when a run opens the sink.
 */
export const excelSink = defineSinkPlugin({
  type: 'excel',
  description: 'Excel .xlsx for compliance: real dates and numbers, frozen filtered header, severity colours, Summary sheet',
  options: excelOptions,
  commit: () => 'atomic',
  // The lists the run reads: images for the image grains, containers for the container grains, both for a mixed workbook.
  grains: (options) => workbookGrains(options).listed,
  // Findings, packages and container findings need each image's findings; the message names the option that asks.
  needsFindings: (options) => {
    const demand = findingsDemandOf(workbookGrains(options).listed, options.records === undefined ? 'findings' : 'records');
    return demand && { ...demand, setting: 'this sink' };
  },
  deprecations: findingsOptionDeprecation,
  create: (options, ctx) => deferredSink(async () => (await import('./excel-sink.js')).createExcelSink(options, ctx)),
  // A compared run's fixed findings go on the Findings sheets and, with the new ones, on a Changes sheet; container
  // findings are not compared.
  takesFixedFindings: (options) => workbookGrains(options).listed.some(takesFixedFindingsAt),
  check: (o, ctx) => checkTabularOutput({ columns: o.columns, joinWith: o.joinWith, path: o.path, records: columnsGrain(workbookGrains(o)) }, ctx),
  outputs: (options, ctx) => [outputPathFor(options.path, ctx)],
  destination: (options, ctx) => ({ path: outputPathFor(options.path, ctx) }),
  // A workbook is evidence of the whole inventory (its Summary counts, its SLA sheet): one holding only the images
  // changed since the last run would pass for that. Writing the whole inventory instead would make every run full.
  incremental: () => ({
    ok: false,
    reason:
      'a workbook is a snapshot of the whole inventory (Summary and SLA sheets count everything in it), so it cannot hold only the changes; ' +
      'export it from a config without run.state (it may share the source settings)',
  }),
  // Refused in incremental runs above, so no state holds a workbook; declared all the same, so the plugin says what
  // a state would record: the grain of its first sheet, as it counts its records (images while it has Images sheets,
  // whatever findings, software or containers add beside them).
  stateTarget: (options) => ({ target: options.path, records: workbookGrains(options).primary }),
});
