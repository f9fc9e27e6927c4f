import type { z } from 'zod';
import { type AnyColumn, buildColumnsFor, type ColumnSpec } from '../columns/columns.js';
import type { RunContext } from '../sink/contract.js';
import { outputPathFor } from '../sink/output-path.js';
import { checkWritable } from '../sink/path-checks.js';
import { type RecordGrain, shapeOf } from './grain.js';

interface TabularOptions {
  columns?: ColumnSpec[] | undefined;
  joinWith: string;
  /** The grain; default "images". */
  records?: RecordGrain | undefined;
}

/**
 * The columns of a tabular sink, for the rows of its grain. In a compared run (`run --compare-to`) the default image-finding
 * columns gain Change (new, open, fixed) after the severity label; a sink's own `columns` list it where it likes.
 */
export function tabularColumns(options: TabularOptions, ctx?: Pick<RunContext, 'compare'>): AnyColumn[] {
  const grain = options.records ?? 'images';
  let shape = shapeOf(grain) as Parameters<typeof buildColumnsFor>[0];
  if (ctx?.compare && (grain === 'findings' || grain === 'packages') && !shape.defaults.includes('change')) {
    const at = shape.defaults.indexOf('severityLabel') + 1;
    shape = { ...shape, defaults: [...shape.defaults.slice(0, at), 'change', ...shape.defaults.slice(at)] };
  }
  return buildColumnsFor(shape, options.columns, { joinWith: options.joinWith });
}

/** For a tabular sink's options schema: reports bad column paths as config errors at load time, with their line. */
export function refineColumns(options: TabularOptions, ctx: z.RefinementCtx): void {
  try {
    tabularColumns(options);
  } catch (error) {
    ctx.addIssue({ code: 'custom', path: ['columns'], message: (error as Error).message });
  }
}

/** The pre-flight of a tabular file sink for `qcs-export validate`: its columns build and its file can be created. */
export async function checkTabularOutput(options: TabularOptions & { path: string }, ctx: RunContext): Promise<void> {
  tabularColumns(options);
  await checkWritable(outputPathFor(options.path, ctx));
}
