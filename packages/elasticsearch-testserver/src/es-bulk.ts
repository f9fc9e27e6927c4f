import type { BulkAction } from './es-bulk-parse.js';
import { type ErrorCause, EsError, type ItemError, indexNotFound } from './es-errors.js';
import { checkDocument } from './es-mappings.js';
import { type IndexState, Store } from './es-store.js';

/** The result of one bulk item, keyed in the response by its op. */
export interface ItemResult {
  _index: string;
  _id: string | null;
  status: number;
  error?: ErrorCause;
  [key: string]: unknown;
}
export type BulkItem = Partial<Record<BulkAction['op'], ItemResult>>;

export interface ItemFaults {
  /** An error for an item the test asked to fail, decided before the item touches any index. */
  itemError(id: string | undefined): ItemError | undefined;
}

const SHARDS = { total: 1, successful: 1, failed: 0 };
const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

/** A partial update as Elasticsearch applies it: objects merge key by key, anything else (arrays too) is replaced. */
function mergeDoc(target: Record<string, unknown>, patch: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...target };
  for (const [key, value] of Object.entries(patch))
    out[key] = isObject(out[key]) && isObject(value) ? mergeDoc(out[key] as Record<string, unknown>, value) : value;
  return out;
}

/** Applies one action to the store and returns its item, as a node would answer it. */
export function applyAction(store: Store, action: BulkAction, faults: ItemFaults): BulkItem {
  // Elasticsearch gives an index or create without _id its id before routing, so even a failed item names one.
  const id = action.id ?? (action.op === 'index' || action.op === 'create' ? Store.newId() : null);
  const item = (result: ItemResult): BulkItem => ({ [action.op]: result });
  const fail = (state: IndexState | undefined, status: number, error: ErrorCause) =>
    item({
      _index: state?.backingIndex ?? action.index,
      _id: id,
      status,
      error: { ...error, index_uuid: state?.uuid ?? '_na_', shard: '0', index: state?.backingIndex ?? action.index },
    });

  const injected = faults.itemError(id ?? undefined);
  if (injected) {
    const { status, ...error } = injected;
    return fail(store.indices.get(action.index), status, error);
  }

  let state: IndexState;
  try {
    // A write to an alias goes to its write index; a delete never creates an index; every other op auto-creates its target.
    const existingTarget = store.writeTarget(action.index);
    if (action.op === 'delete' && !existingTarget) return item({ _index: action.index, _id: id, status: 404, error: indexNotFound(action.index).asCause() });
    state = existingTarget ?? store.create(action.index);
  } catch (error) {
    if (!(error instanceof EsError)) throw error;
    return item({ _index: action.index, _id: id, status: error.status, error: error.asCause() });
  }
  const docId = id as string;

  if (state.dataStream && action.op !== 'create')
    return fail(state, 400, { type: 'illegal_argument_exception', reason: 'only write ops with an op_type of create are allowed in data streams' });
  if (action.sourceError) return fail(state, 400, action.sourceError);

  const existing = state.docs.get(docId);
  if (action.ifSeqNo !== undefined || action.ifPrimaryTerm !== undefined) {
    const wanted = `required seqNo [${action.ifSeqNo}], primary term [${action.ifPrimaryTerm ?? 1}]`;
    if (!existing)
      return fail(state, 409, { type: 'version_conflict_engine_exception', reason: `[${docId}]: version conflict, ${wanted} but no document was found` });
    if (existing._seq_no !== action.ifSeqNo || (action.ifPrimaryTerm ?? 1) !== 1) {
      return fail(state, 409, {
        type: 'version_conflict_engine_exception',
        reason: `[${docId}]: version conflict, ${wanted}. current document has seqNo [${existing._seq_no}] and primary term [1]`,
      });
    }
  }
  const written = (status: number, result: string, version: number, seqNo: number): BulkItem =>
    item({ _index: state.backingIndex, _id: docId, _version: version, result, _shards: SHARDS, _seq_no: seqNo, _primary_term: 1, status });

  if (action.op === 'delete') {
    const version = (existing?._version ?? state.tombstones.get(docId) ?? 0) + 1;
    state.docs.delete(docId);
    state.tombstones.set(docId, version);
    // A delete of a missing document still takes a sequence number (it writes a tombstone).
    return written(existing ? 200 : 404, existing ? 'deleted' : 'not_found', version, state.seqNo++);
  }
  if (action.op === 'create' && existing) {
    return fail(state, 409, {
      type: 'version_conflict_engine_exception',
      reason: `[${docId}]: version conflict, document already exists (current version [${existing._version}])`,
    });
  }

  let source = action.source ?? {};
  if (action.op === 'update') {
    const update = source as {
      doc?: Record<string, unknown>;
      doc_as_upsert?: boolean;
      upsert?: Record<string, unknown>;
      script?: unknown;
      detect_noop?: boolean;
    };
    if (update.script !== undefined)
      return fail(state, 400, { type: 'illegal_argument_exception', reason: 'the test server does not run scripts; send a partial doc instead' });
    if (!existing && !update.doc_as_upsert && !update.upsert)
      return fail(state, 404, { type: 'document_missing_exception', reason: `[${docId}]: document missing` });
    source = existing ? mergeDoc(existing._source, update.doc ?? {}) : (update.upsert ?? update.doc ?? {});
    if (existing && update.detect_noop !== false && JSON.stringify(source) === JSON.stringify(existing._source)) {
      return item({
        _index: state.backingIndex,
        _id: docId,
        _version: existing._version,
        result: 'noop',
        _shards: { total: 0, successful: 0, failed: 0 },
        _seq_no: existing._seq_no,
        _primary_term: 1,
        status: 200,
      });
    }
  }
  if (state.dataStream && source['@timestamp'] === undefined) {
    return fail(state, 400, {
      type: 'document_parsing_exception',
      reason: '[1:1] failed to parse: data stream timestamp field [@timestamp] is missing',
      caused_by: { type: 'illegal_argument_exception', reason: 'data stream timestamp field [@timestamp] is missing' },
    });
  }
  const error = checkDocument(state.mappings, source, docId);
  if (error) return fail(state, 400, error);

  const version = (existing?._version ?? state.tombstones.get(docId) ?? 0) + 1;
  const seqNo = state.seqNo++;
  state.tombstones.delete(docId);
  state.docs.set(docId, { _id: docId, _source: source, _version: version, _seq_no: seqNo });
  return written(existing ? 200 : 201, existing ? 'updated' : 'created', version, seqNo);
}
