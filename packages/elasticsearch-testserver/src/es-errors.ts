/** An error object as Elasticsearch nests them: a type, a reason, optionally what caused it. */
export interface ErrorCause {
  type: string;
  reason: string;
  caused_by?: ErrorCause;
  [key: string]: unknown;
}

/** The error object of one failed bulk item, with the status the item is answered with. */
export type ItemError = ErrorCause & { status: number };

/** An Elasticsearch error as the REST API shapes it, with the HTTP status to answer with. */
export class EsError extends Error {
  constructor(
    readonly status: number,
    readonly type: string,
    readonly reason: string,
    readonly extra: Omit<Partial<ErrorCause>, 'type' | 'reason'> = {},
  ) {
    super(reason);
  }

  /** The error as it appears inside a bulk item or under `caused_by`. */
  asCause(): ErrorCause {
    return { type: this.type, reason: this.reason, ...this.extra };
  }

  body(): Record<string, unknown> {
    const { caused_by, ...fields } = this.extra;
    const root = { type: this.type, reason: this.reason, ...fields };
    return { error: { root_cause: [root], ...root, ...(caused_by ? { caused_by } : {}) }, status: this.status };
  }
}

/**
 * The few errors the REST layer answers before any handler runs (unknown method on a known path, a body of an
 * unsupported content type) have a bare string as `error`, not an object; clients see exactly that.
 */
export class PlainEsError extends EsError {
  override body(): Record<string, unknown> {
    return { error: this.reason, status: this.status };
  }
}

export const indexNotFound = (index: string) =>
  new EsError(404, 'index_not_found_exception', `no such index [${index}]`, {
    'resource.type': 'index_or_alias',
    'resource.id': index,
    index_uuid: '_na_',
    index,
  });

/**
 * A search that failed on its (only) shard, as a node answers it: search_phase_execution_exception "all shards
 * failed", with the shard's own error as the root cause and under failed_shards.
 */
export class ShardFailure extends EsError {
  constructor(
    index: string,
    readonly shardCause: ErrorCause,
    status = 400,
  ) {
    super(status, 'search_phase_execution_exception', 'all shards failed', {
      phase: 'query',
      grouped: true,
      failed_shards: [{ shard: 0, index, node: 'qcs-export-test-node', reason: shardCause }],
      caused_by: shardCause,
    });
  }

  override body(): Record<string, unknown> {
    const body = super.body();
    (body['error'] as Record<string, unknown>)['root_cause'] = [this.shardCause];
    return body;
  }
}

/** What a node answers to an aggregation or a sort on a text field without fielddata. */
export const fielddataDisabled = (index: string, field: string) =>
  new ShardFailure(index, {
    type: 'illegal_argument_exception',
    reason:
      `Fielddata is disabled on [${field}] in [${index}]. Text fields are not optimised for operations that require per-document field data like ` +
      'aggregations and sorting, so these operations are disabled by default. Please use a keyword field instead. Alternatively, set ' +
      `fielddata=true on [${field}] in order to load field data by uninverting the inverted index. Note that this can use significant memory.`,
  });
