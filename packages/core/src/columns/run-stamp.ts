import { z } from 'zod';
import type { AnyColumn } from './columns.js';

/** The facts of the run a stamp carries (a RunContext has them). */
export interface RunFacts {
  runId?: string | undefined;
  startedAt: Date;
}

/** The `stampRun` option of the file sinks. */
export const stampRunOption = z
  .boolean()
  .default(false)
  .meta({
    description:
      'Add the run id and export time to every row (`runId`, `exportedAt`; the last two columns of a table), so a row leads back to ' +
      "the run's audit manifest (`run.manifest`).",
  });

/** The run's id and start time as fields, for a sink whose options ask for them; nothing otherwise. */
export function runStamp(ctx: RunFacts, enabled: boolean): { runId: string | null; exportedAt: string } | undefined {
  return enabled ? { runId: ctx.runId ?? null, exportedAt: ctx.startedAt.toISOString() } : undefined;
}

/** The same as two trailing table columns. */
export function runStampColumns(ctx: RunFacts, enabled: boolean): AnyColumn[] {
  const stamp = runStamp(ctx, enabled);
  if (stamp === undefined) return [];
  return [
    { key: 'runId', header: 'Run ID', type: 'string', value: () => stamp.runId },
    { key: 'exportedAt', header: 'Exported at', type: 'date', value: () => stamp.exportedAt },
  ];
}
