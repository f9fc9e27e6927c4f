import { EsError, type ItemError } from './es-errors.js';
import { checkDocument } from './es-mappings.js';
import { Store, type IndexState } from './es-store.js';

type Op = 'index' | 'create' | 'update' | 'delete';
interface Action {
  op: Op;
  index: string;
  id: string | undefined;
  source: Record<string, unknown> | undefined;
}

export interface ItemFaults {
  /** Returns an error for an item the test asked to fail, before it is stored. */
  itemError(id: string | undefined): (ItemError & { status: number }) | undefined;
}

/** Splits an NDJSON bulk body into actions, rejecting the whole request as Elasticsearch does for bad framing. */
export function parseBulk(body: string, pathIndex: string | undefined): Action[] {
  if (body.length > 0 && !body.endsWith('\n')) throw new EsError(400, 'illegal_argument_exception', 'The bulk request must be terminated by a newline [\\n]');
  const lines = body.split('\n');
  lines.pop();
  const actions: Action[] = [];
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] as string;
    if (line.trim() === '') continue;
    const header = parseLine(line, i);
    const [op, meta] = Object.entries(header)[0] ?? [];
    if (!op || !['index', 'create', 'update', 'delete'].includes(op)) throw new EsError(400, 'illegal_argument_exception', `Malformed action/metadata line [${i + 1}], expected one of [create, delete, index, update] but found [${op}]`);
    const m = (meta ?? {}) as { _index?: string; _id?: string };
    const index = m._index ?? pathIndex;
    if (!index) throw new EsError(400, 'action_request_validation_exception', 'Validation Failed: 1: index is missing;');
    let source: Record<string, unknown> | undefined;
    if (op !== 'delete') {
      i += 1;
      if (i >= lines.length) throw new EsError(400, 'illegal_argument_exception', `The bulk request must be terminated by a newline [\\n]`);
      source = parseLine(lines[i] as string, i);
    }
    actions.push({ op: op as Op, index, id: m._id === undefined ? undefined : String(m._id), source });
  }
  return actions;
}

function parseLine(line: string, i: number): Record<string, unknown> {
  try {
    const value = JSON.parse(line) as unknown;
    if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new Error('not an object');
    return value as Record<string, unknown>;
  } catch (error) {
    throw new EsError(400, 'x_content_parse_exception', `[${i + 1}:1] Unexpected character on bulk line ${i + 1}: ${(error as Error).message}`);
  }
}

/** Applies one action and returns its item result, as a real node would answer it. */
export function applyAction(store: Store, action: Action, faults: ItemFaults): Record<string, unknown> {
  const fail = (state: IndexState | undefined, status: number, error: ItemError) => ({
    [action.op]: { _index: state?.backingIndex ?? action.index, _id: action.id ?? null, status, error: { ...error, index: state?.backingIndex ?? action.index, shard: '0' } },
  });
  const injected = faults.itemError(action.id);
  if (injected) return fail(store.indices.get(action.index), injected.status, injected);

  const state = store.indexForWrite(action.index);
  if (state.dataStream) {
    if (action.op !== 'create') return fail(state, 400, { type: 'illegal_argument_exception', reason: `only write ops with an op_type of create are allowed in data streams` });
    if (action.source?.['@timestamp'] === undefined) return fail(state, 400, { type: 'document_parsing_exception', reason: '[1:1] failed to parse: data stream timestamp field [@timestamp] is missing' });
  }
  const id = action.id ?? Store.newId();
  const existing = state.docs.get(id);
  const ok = (status: number, result: string, version: number) => ({
    [action.op]: { _index: state.backingIndex, _id: id, _version: version, result, _shards: { total: 1, successful: 1, failed: 0 }, _seq_no: state.seqNo++, _primary_term: 1, status },
  });

  if (action.op === 'delete') {
    if (!existing) return { delete: { _index: state.backingIndex, _id: id, _version: 1, result: 'not_found', status: 404, _shards: { total: 1, successful: 1, failed: 0 } } };
    state.docs.delete(id);
    return ok(200, 'deleted', existing._version + 1);
  }
  if (action.op === 'create' && existing) {
    return fail(state, 409, { type: 'version_conflict_engine_exception', reason: `[${id}]: version conflict, document already exists (current version [${existing._version}])` });
  }
  let source = action.source ?? {};
  if (action.op === 'update') {
    const update = source as { doc?: Record<string, unknown>; doc_as_upsert?: boolean; upsert?: Record<string, unknown> };
    if (!existing && !update.doc_as_upsert && !update.upsert) return fail(state, 404, { type: 'document_missing_exception', reason: `[${id}]: document missing` });
    source = existing ? { ...existing._source, ...(update.doc ?? {}) } : (update.upsert ?? update.doc ?? {});
  }
  const error = checkDocument(state.mappings, source, id);
  if (error) return fail(state, 400, error);
  const version = (existing?._version ?? 0) + 1;
  const stored = { _id: id, _source: source, _version: version, _seq_no: state.seqNo };
  state.docs.set(id, stored);
  return ok(existing ? 200 : 201, existing ? 'updated' : 'created', version);
}
