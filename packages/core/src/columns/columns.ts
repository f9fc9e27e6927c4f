import { z } from 'zod';
import { ConfigError } from '../errors.js';
import type { ImageRecord } from '../record.js';
import { didYouMean } from '../suggest.js';

/** How a tabular sink should present a column: Excel formats dates and numbers by it; CSV writes all as text. */
export type ColumnType = 'string' | 'number' | 'date' | 'boolean' | 'auto';
/** One cell. Dates are ISO-8601 UTC strings in a 'date' column; null is an empty cell. */
export type CellValue = string | number | boolean | null;

/** A column of any row type: a sink that writes the grain its options name holds its columns as these. */
// biome-ignore lint/suspicious/noExplicitAny: the row type is the grain's, chosen at run time
export type AnyColumn = Column<any>;

export interface Column<R = ImageRecord> {
  /** The dot path or name the column was made from. */
  key: string;
  header: string;
  type: ColumnType;
  value(record: R): CellValue;
}

/** A column in the config: a dot path, or a path with its own header. Descriptions feed the editor schema. */
export const columnSpecSchema = z
  .union([
    z.string().min(1).meta({ description: 'A dot path into the record, e.g. `vulnerabilityCounts.severity5Count` or `extra.sbomSummary.packages`.' }),
    z
      .strictObject({
        path: z.string().min(1).meta({ description: 'A dot path into the record, e.g. `vulnerabilityCounts.severity5Count` or `extra.sbomSummary.packages`.' }),
        header: z.string().optional().meta({ description: 'The header text.', defaultText: "the known column's header, else the path" }),
      })
      .meta({ description: 'A column with its own header.' }),
  ])
  .meta({ description: 'A column: a dot path into the record, or `{ path, header }`.' });
export type ColumnSpec = z.output<typeof columnSpecSchema>;

/** Options every tabular sink takes, so CSV and Excel show the same values for the same record. */
export const tabularOptionsShape = {
  columns: z.array(columnSpecSchema).min(1, 'columns must name at least one column; leave it out for the default set').optional().meta({
    description: 'The columns to write, in order: dot paths into the record, or `{ path, header }`.',
    defaultText: 'the compliance set, in reading order',
  }),
  joinWith: z.string().default('; ').meta({ description: 'Separator for multi-valued fields (tags, digests, scan types) in one cell.' }),
};

export interface KnownColumn<R> {
  header: string;
  type: ColumnType;
  /** A presentation for values a plain path walk would render poorly (objects in arrays). */
  format?: (record: R, join: string) => CellValue;
}

export const countColumn = <R>(header: string): KnownColumn<R> => ({ header, type: 'number' });
export const dateColumn = <R>(header: string): KnownColumn<R> => ({ header, type: 'date' });

/**
 * What columns can be made from one kind of row: its fields, the fields inside its object-valued ones, the columns
 * with a header of their own, and the default set. Images and findings each have one.
 */
export interface RecordShape<R> {
  /** How messages name a row of this kind: "the record", "a finding". */
  noun: string;
  fields: ReadonlySet<string>;
  dateFields: ReadonlySet<string>;
  /** Fields inside object-valued fields; 'open' where any key may follow (`extra`). */
  nested: Partial<Record<string, Record<string, true | 'open'> | 'open'>>;
  known: Record<string, KnownColumn<R>>;
  defaults: readonly string[];
}

/** Why a column path does not exist in the row, with a did-you-mean; undefined when it does. */
function pathProblem(path: string, shape: RecordShape<unknown>): string | undefined {
  const [first = '', second, ...rest] = path.split('.');
  const fields = [...shape.fields];
  if (!shape.fields.has(first))
    return `"${path}": ${shape.noun} has no field "${first}"${didYouMean(first, fields)}; a path starts with one of ${fields.join(', ')}`;
  if (second === undefined) return undefined;
  const inner = shape.nested[first];
  if (inner === undefined) return `"${path}": ${first} is a single value, with no fields inside`;
  if (inner === 'open') return undefined;
  const kind = inner[second];
  if (kind === undefined)
    return `"${path}": ${first} has no field "${second}"${didYouMean(second, Object.keys(inner))}; it has ${Object.keys(inner).join(', ')}`;
  if (rest.length > 0 && kind !== 'open') return `"${path}": ${first}.${second} is a single value, with no fields inside`;
  return undefined;
}

/**
 * Turns column specs into columns for one kind of row. A path that does not exist in the row is a config error,
 * segment by segment (a typo would otherwise give an empty column in every row of an audit file); everything under an
 * 'open' field (`extra.`) is accepted, since new Qualys fields land there.
 */
export function buildColumnsFor<R>(shape: RecordShape<R>, specs: readonly ColumnSpec[] | undefined, options: { joinWith: string }): Column<R>[] {
  const list = specs ?? shape.defaults;
  const unknown: string[] = [];
  const columns = list.map((spec): Column<R> => {
    const path = typeof spec === 'string' ? spec : spec.path;
    const header = typeof spec === 'string' ? undefined : spec.header;
    const first = path.split('.')[0] as string;
    const problem = pathProblem(path, shape as RecordShape<unknown>);
    if (problem !== undefined) unknown.push(problem);
    const known = shape.known[path];
    const segments = path.split('.');
    const format = known?.format;
    return {
      key: path,
      header: header ?? known?.header ?? path,
      type: known?.type ?? (shape.dateFields.has(first) && segments.length === 1 ? 'date' : 'auto'),
      value: format ? (r) => format(r, options.joinWith) : (r) => toCell(walk(r, segments), options.joinWith),
    };
  });
  if (unknown.length > 0) {
    throw new ConfigError(
      `unknown column${unknown.length > 1 ? 's' : ''} ${unknown.join('; ')}. ` +
        `A column is a dot path into ${shape.noun} (README "The record"); extra.* reaches fields Qualys added`,
    );
  }
  return columns;
}

/** Follows a dot path; through an array it maps over the elements, so repo.tag gives every tag. */
function walk(value: unknown, segments: readonly string[], from = 0): unknown {
  let current = value;
  for (let i = from; i < segments.length; i++) {
    if (current === null || current === undefined) return null;
    if (Array.isArray(current)) return current.flatMap((item) => walk(item, segments, i));
    if (typeof current !== 'object') return null;
    current = (current as Record<string, unknown>)[segments[i] as string];
  }
  return current;
}

function toCell(value: unknown, join: string): CellValue {
  if (value === null || value === undefined) return null;
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') return value;
  if (Array.isArray(value)) {
    const parts = value.filter((v) => v !== null && v !== undefined).map((v) => (typeof v === 'object' ? JSON.stringify(v) : String(v)));
    return joined(parts, join);
  }
  return JSON.stringify(value);
}

/** Values of a multi-valued field as one cell: joined, or empty when there are none. */
export function joined(parts: readonly string[], join: string): string | null {
  return parts.length === 0 ? null : parts.join(join);
}
