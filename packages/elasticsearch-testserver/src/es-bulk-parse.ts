import { type ErrorCause, EsError } from './es-errors.js';

export type Op = 'index' | 'create' | 'update' | 'delete';

export interface BulkAction {
  op: Op;
  index: string;
  id: string | undefined;
  /** The document line (index, create) or the update body (update). */
  source: Record<string, unknown> | undefined;
  /** Why the document line does not parse: Elasticsearch fails only that item, not the request. */
  sourceError: ErrorCause | undefined;
  ifSeqNo: number | undefined;
  ifPrimaryTerm: number | undefined;
}

const OPS = ['create', 'delete', 'index', 'update'];
const META_KEYS = new Set([
  '_index',
  '_id',
  'routing',
  'op_type',
  'version',
  'version_type',
  'if_seq_no',
  'if_primary_term',
  'pipeline',
  'retry_on_conflict',
  '_source',
  'require_alias',
  'require_data_stream',
  'list_executed_pipelines',
  'dynamic_templates',
]);
const UPDATE_KEYS = new Set(['doc', 'upsert', 'doc_as_upsert', 'script', 'scripted_upsert', 'detect_noop', '_source']);

/** The JSON token Elasticsearch's parser names a value by in its errors. */
export const tokenOf = (v: unknown) =>
  v === null
    ? 'VALUE_NULL'
    : Array.isArray(v)
      ? 'START_ARRAY'
      : typeof v === 'object'
        ? 'START_OBJECT'
        : typeof v === 'string'
          ? 'VALUE_STRING'
          : typeof v === 'number'
            ? 'VALUE_NUMBER'
            : 'VALUE_BOOLEAN';
const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

/** JSON.parse, with the error as Elasticsearch words it: `[line:column] what went wrong`. */
function parseJson(text: string, line: number): { value: unknown } | { error: string } {
  try {
    return { value: JSON.parse(text) as unknown };
  } catch (error) {
    const position = /position (\d+)/.exec((error as Error).message)?.[1];
    return { error: `[${line}:${position === undefined ? 1 : Number(position) + 1}] ${(error as Error).message}` };
  }
}

/**
 * Splits an NDJSON bulk body into actions. Framing, action lines and update bodies are checked here and fail the
 * whole request (400), as Elasticsearch's REST layer does; an index or create document line is only parsed on
 * the shard there, so a broken one fails its item alone.
 */
export function parseBulk(body: string, pathIndex: string | undefined): BulkAction[] {
  if (body.length === 0) throw new EsError(400, 'parse_exception', 'request body is required');
  if (!body.endsWith('\n')) throw new EsError(400, 'illegal_argument_exception', 'The bulk request must be terminated by a newline [\\n]');
  const lines = body.split('\n');
  lines.pop();
  const actions: BulkAction[] = [];
  const invalid: string[] = [];
  for (let i = 0; i < lines.length; i++) {
    const lineNo = i + 1;
    const line = lines[i] as string;
    if (line.trim() === '') continue;
    const parsed = parseJson(line, lineNo);
    if ('error' in parsed) throw new EsError(400, 'x_content_parse_exception', parsed.error);
    const header = parsed.value;
    if (!isObject(header))
      throw new EsError(
        400,
        'illegal_argument_exception',
        `Malformed action/metadata line [${lineNo}], expected START_OBJECT or END_OBJECT but found [${tokenOf(header)}]`,
      );
    const keys = Object.keys(header);
    if (keys.length > 1)
      throw new EsError(400, 'illegal_argument_exception', `Malformed action/metadata line [${lineNo}], expected END_OBJECT but found [FIELD_NAME]`);
    const name = keys[0] as string;
    if (!OPS.includes(name))
      throw new EsError(
        400,
        'illegal_argument_exception',
        `Malformed action/metadata line [${lineNo}], expected one of [create, delete, index, update] but found [${name}]`,
      );
    const meta = header[name];
    if (!isObject(meta))
      throw new EsError(400, 'illegal_argument_exception', `Malformed action/metadata line [${lineNo}], expected START_OBJECT but found [${tokenOf(meta)}]`);
    const unknown = Object.keys(meta).find((k) => !META_KEYS.has(k));
    if (unknown) throw new EsError(400, 'illegal_argument_exception', `Action/metadata line [${lineNo}] contains an unknown parameter [${unknown}]`);

    let op = name as Op;
    if (op === 'index' && meta['op_type'] !== undefined) {
      if (meta['op_type'] !== 'index' && meta['op_type'] !== 'create')
        throw new EsError(400, 'illegal_argument_exception', `opType must be 'create' or 'index', found: [${String(meta['op_type'])}]`);
      op = meta['op_type'];
    }
    const index = meta['_index'] === undefined ? pathIndex : String(meta['_index']);
    const id = meta['_id'] === undefined || meta['_id'] === null ? undefined : String(meta['_id']);
    const action: BulkAction = {
      op,
      index: index ?? '',
      id,
      source: undefined,
      sourceError: undefined,
      ifSeqNo: numberOrUndefined(meta['if_seq_no']),
      ifPrimaryTerm: numberOrUndefined(meta['if_primary_term']),
    };
    if (!index) invalid.push('index is missing');
    if ((op === 'update' || op === 'delete') && id === undefined) invalid.push('id is missing');

    if (op !== 'delete') {
      i += 1;
      if (i >= lines.length) throw new EsError(400, 'illegal_argument_exception', 'The bulk request must be terminated by a newline [\\n]');
      // Positions count from the start of the document line, as Elasticsearch parses each line on its own.
      const source = parseJson(lines[i] as string, 1);
      if (op === 'update') action.source = updateBody(source, invalid);
      else if ('error' in source) action.sourceError = sourceError(source.error);
      else if (!isObject(source.value)) action.sourceError = sourceError('[1:1] Malformed content, must start with an object');
      else action.source = source.value;
    }
    actions.push(action);
  }
  if (actions.length === 0) invalid.push('no requests added');
  if (invalid.length > 0)
    throw new EsError(400, 'action_request_validation_exception', `Validation Failed: ${invalid.map((r, n) => `${n + 1}: ${r};`).join('')}`);
  return actions;
}

function updateBody(source: { value: unknown } | { error: string }, invalid: string[]): Record<string, unknown> {
  if ('error' in source) throw new EsError(400, 'x_content_parse_exception', source.error);
  if (!isObject(source.value))
    throw new EsError(400, 'x_content_parse_exception', `[1:1] [UpdateRequest] Expected START_OBJECT but was: ${tokenOf(source.value)}`);
  const unknown = Object.keys(source.value).find((k) => !UPDATE_KEYS.has(k));
  if (unknown) throw new EsError(400, 'x_content_parse_exception', `[1:2] [UpdateRequest] unknown field [${unknown}]`);
  if (source.value['doc'] === undefined && source.value['script'] === undefined) invalid.push('script or doc is missing');
  return source.value;
}

function sourceError(parseError: string): ErrorCause {
  const [, position = '[1:1]', message = parseError] = /^(\[\d+:\d+\]) (.*)$/s.exec(parseError) ?? [];
  return {
    type: 'document_parsing_exception',
    reason: `${position} failed to parse: ${message}`,
    caused_by: { type: 'x_content_parse_exception', reason: parseError },
  };
}

function numberOrUndefined(value: unknown): number | undefined {
  return value === undefined || value === null ? undefined : Number(value);
}
