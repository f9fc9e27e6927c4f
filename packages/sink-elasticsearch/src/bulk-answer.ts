import type { BulkEntry } from './bulk-entry.js';

export interface BulkItemResult {
  _id?: string;
  status: number;
  result?: string;
  error?: { type?: string; reason?: string };
}

/** A bulk answer as the client returns it with `meta: true`. */
export interface BulkAnswer {
  statusCode: number | null;
  headers: Record<string, unknown>;
  body: unknown;
}

/**
 * A bulk answer that does not account for every document sent, so none of them can be counted: `what` says how
 * it falls short. A redirect is not worth retrying (it points elsewhere every time); the rest may be a flaky proxy.
 */
export class UnacknowledgedBulk extends Error {
  constructor(
    readonly what: string,
    readonly retryable: boolean,
  ) {
    super(what);
  }
}

/**
 * The per-document results of a bulk answer, checked against what was sent: a 2xx status, a JSON body with an
 * `items` list of exactly one result per document, in order, each for the operation sent and, where the sink set
 * the `_id`, for that `_id`. A proxy or load balancer that answers on the cluster's behalf (an empty 200, a
 * redirect, its own page, a cut or mixed-up answer) fails here instead of passing for a request with no errors.
 */
export function acknowledgedItems(answer: BulkAnswer, entries: readonly BulkEntry[], op: 'index' | 'create'): BulkItemResult[] {
  const status = answer.statusCode ?? 0;
  if (status >= 300 && status < 400) {
    const location = locationOf(answer.headers['location']);
    throw new UnacknowledgedBulk(`a redirect (HTTP ${status}${location ? ` to ${location}` : ''}), which the export does not follow`, false);
  }
  if (status < 200 || status >= 300) throw new UnacknowledgedBulk(`HTTP ${status}`, true);
  const body = answer.body;
  if (body === undefined || body === null || body === '') throw new UnacknowledgedBulk(`an empty ${status} answer`, true);
  if (typeof body !== 'object' || Buffer.isBuffer(body)) {
    const type = String(answer.headers['content-type'] ?? 'no content type');
    throw new UnacknowledgedBulk(`a ${status} answer that is not JSON (${type})`, true);
  }
  const items = (body as { items?: unknown }).items;
  if (!Array.isArray(items)) throw new UnacknowledgedBulk(`a ${status} JSON answer without an items list`, true);
  if (items.length !== entries.length) throw new UnacknowledgedBulk(`${items.length} results for ${entries.length} documents`, true);
  return items.map((item: unknown, i) => {
    const keys = item !== null && typeof item === 'object' ? Object.keys(item) : [];
    const result = keys.length === 1 && keys[0] === op ? ((item as Record<string, unknown>)[op] as BulkItemResult | undefined) : undefined;
    if (!result || typeof result !== 'object' || typeof result.status !== 'number')
      throw new UnacknowledgedBulk(`result ${i + 1} is not an "${op}" result (${JSON.stringify(item).slice(0, 120)})`, true);
    const sent = (entries[i] as BulkEntry).id;
    if (sent !== undefined && result._id !== sent)
      throw new UnacknowledgedBulk(
        `result ${i + 1} is for _id ${JSON.stringify(result._id)}, but the document sent there has _id ${JSON.stringify(sent)}`,
        true,
      );
    return result;
  });
}

/** A redirect's target for a message: its origin and path only, never a query or credentials. */
function locationOf(header: unknown): string | undefined {
  if (typeof header !== 'string' || header === '') return undefined;
  try {
    const url = new URL(header, 'http://relative.invalid');
    return url.origin === 'http://relative.invalid' ? url.pathname : `${url.origin}${url.pathname}`;
  } catch {
    return undefined;
  }
}
