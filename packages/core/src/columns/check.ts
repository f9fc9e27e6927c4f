import { checkWritable } from '../sink/atomic-file.js';
import type { RunContext } from '../sink/contract.js';
import { resolveOutputPath } from '../sink/output-path.js';
import { buildColumns, type ColumnSpec } from './columns.js';

/** The pre-flight of a tabular file sink for `qcs-export validate`: its columns build and its file can be created. */
export async function checkTabularOutput(options: { path: string; columns?: ColumnSpec[] | undefined; joinWith: string }, ctx: RunContext): Promise<void> {
  buildColumns(options.columns, { joinWith: options.joinWith });
  await checkWritable(resolveOutputPath(options.path, { now: ctx.startedAt, baseDir: ctx.baseDir }));
}
