/** An Elasticsearch error as the REST API shapes it, with the HTTP status to answer with. */
export class EsError extends Error {
  constructor(
    readonly status: number,
    readonly type: string,
    readonly reason: string,
  ) {
    super(reason);
  }

  body(): Record<string, unknown> {
    return { error: { root_cause: [{ type: this.type, reason: this.reason }], type: this.type, reason: this.reason }, status: this.status };
  }
}

/** The error object of one failed bulk item. */
export interface ItemError {
  type: string;
  reason: string;
}
