import { readFile } from 'node:fs/promises';
import { Client, errors, type ClientOptions } from '@elastic/elasticsearch';
import { AuthError, ConfigError, ForbiddenError, NetworkError, SinkError, TimeoutError, type QcsError } from '@qcs-export/core/sink';
import type { ElasticsearchSinkOptions } from './options.js';

export const nodesOf = (options: ElasticsearchSinkOptions): string[] => (Array.isArray(options.node) ? options.node : [options.node]);

/** The cluster's origin(s) for messages: never a path, query or credential. */
export const describeNodes = (options: ElasticsearchSinkOptions): string =>
  nodesOf(options)
    .map((n) => new URL(n).origin)
    .join(', ');

/**
 * A client that never retries on its own: the sink retries bulk requests itself, with backoff, and knows which
 * documents a retry must repeat. Requests carry a timeout, so a cluster that stops answering cannot hang the run.
 */
export async function createClient(options: ElasticsearchSinkOptions, userAgent: string): Promise<Client> {
  const tls: ClientOptions['tls'] = {};
  if (options.tls?.caFile) {
    try {
      tls.ca = await readFile(options.tls.caFile);
    } catch (error) {
      throw new ConfigError(
        `tls.caFile ${options.tls.caFile} cannot be read: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}; ` +
          "name a PEM file with the cluster's CA",
      );
    }
  }
  const auth = options.auth;
  return new Client({
    nodes: nodesOf(options),
    ...(auth
      ? { auth: 'apiKey' in auth ? { apiKey: auth.apiKey } : 'bearer' in auth ? { bearer: auth.bearer } : { username: auth.username, password: auth.password } }
      : {}),
    ...(options.tls?.caFingerprint ? { caFingerprint: options.tls.caFingerprint } : {}),
    tls,
    maxRetries: 0,
    requestTimeout: options.requestTimeoutMs,
    headers: { 'user-agent': userAgent },
  });
}

/** Status of a failed request, or undefined when no response came back. */
export const statusOf = (error: unknown): number | undefined => (error instanceof errors.ResponseError ? error.statusCode : undefined);

/** Worth another try: the cluster is busy or a connection failed; anything else will fail the same way again. */
export function isTransient(error: unknown): boolean {
  const status = statusOf(error);
  if (status !== undefined) return status === 429 || status === 502 || status === 503 || status === 504;
  return error instanceof errors.ConnectionError || error instanceof errors.TimeoutError || error instanceof errors.NoLivingConnectionsError;
}

/**
 * A whole request refused by the node's indexing pressure (429 es_rejected_execution_exception, "rejected execution
 * of coordinating operation [..., coordinating_operation_bytes=N, max_coordinating_and_primary_bytes=M]"; newer
 * nodes say max_coordinating_bytes), with the request's size and the node's budget as the node counts them. When
 * N > M the request is refused however long it waits, and only smaller requests can pass.
 */
export function indexingPressureOf(error: unknown): { requestBytes: number; limitBytes: number } | undefined {
  if (statusOf(error) !== 429) return undefined;
  const reason = reasonOf(error);
  if (!/rejected execution of (coordinating|primary) operation/.test(reason)) return undefined;
  const requestBytes = /\b(?:coordinating|primary)_operation_bytes=(\d+)/.exec(reason)?.[1];
  const limitBytes = /\bmax_[a-z_]+_bytes=(\d+)/.exec(reason)?.[1];
  if (requestBytes === undefined || limitBytes === undefined) return undefined;
  return { requestBytes: Number(requestBytes), limitBytes: Number(limitBytes) };
}

/** Elasticsearch's own error type and reason, from a response body, for messages and dead letters. */
export function reasonOf(error: unknown): string {
  if (error instanceof errors.ResponseError) {
    const body = error.body as { error?: { type?: string; reason?: string } | string } | undefined;
    const e = body?.error;
    if (typeof e === 'string') return e;
    if (e?.type) return `${e.type}: ${e.reason ?? ''}`.trim();
    return `HTTP ${error.statusCode}`;
  }
  return (error as Error).message;
}

/**
 * Turns a client error into one that says what to fix. Only the message and status are used: the client's
 * error meta holds the request headers, credentials included, and never reaches a message. A cluster that cannot
 * be reached or does not answer in time is a NetworkError or TimeoutError (QCS_NETWORK, QCS_TIMEOUT), like a
 * Qualys server in the same state; a cluster that answers but refuses is a SinkError.
 */
export function explain(error: unknown, options: ElasticsearchSinkOptions, doing: string): QcsError {
  const where = describeNodes(options);
  const status = statusOf(error);
  if (status === 401)
    return new AuthError(`Elasticsearch at ${where} refused the credentials while ${doing} (401); check auth (an API key, username/password or bearer token)`);
  if (status === 403)
    return new ForbiddenError(
      `Elasticsearch at ${where} denied ${doing} (403: ${reasonOf(error)}); ` +
        `the user needs manage_index_templates on the cluster and create_index, write and view_index_metadata on ${options.index}`,
    );
  if (error instanceof errors.ProductNotSupportedError) return new SinkError(`${where} did not answer as Elasticsearch while ${doing}; check node`);
  if (error instanceof errors.ConnectionError || error instanceof errors.NoLivingConnectionsError) {
    return new NetworkError(`cannot reach Elasticsearch at ${where} while ${doing}: ${(error as Error).message};`, {
      setting: 'node',
      hint: 'check node and that the cluster is up',
    });
  }
  if (error instanceof errors.TimeoutError) {
    return new TimeoutError(`Elasticsearch at ${where} did not answer within ${options.requestTimeoutMs} ms while ${doing};`, {
      setting: 'requestTimeoutMs',
      hint: "raise requestTimeoutMs or check the cluster's health",
    });
  }
  if (status !== undefined) return new SinkError(`Elasticsearch at ${where} failed ${doing} with ${status}: ${reasonOf(error)}`);
  return new SinkError(`${doing} on Elasticsearch at ${where} failed: ${(error as Error).message}`);
}

/** Fails fast, before any document is sent, when the cluster is down, is not Elasticsearch, or refuses the credentials. */
export async function verifyCluster(client: Client, options: ElasticsearchSinkOptions): Promise<void> {
  try {
    await client.info();
  } catch (error) {
    throw explain(error, options, 'connecting');
  }
  // A mistyped pipeline would have the cluster reject every document into the dead-letter file: check it first.
  if (options.pipeline !== undefined && options.pipeline !== '_none') {
    const pipeline = options.pipeline;
    const found = await client.ingest
      .getPipeline({ id: pipeline }, { ignore: [404], meta: true })
      .catch((error: unknown) => Promise.reject(explain(error, options, `looking up the ingest pipeline ${pipeline}`)));
    if (found.statusCode === 404 || !(pipeline in (found.body as Record<string, unknown>))) {
      throw new SinkError(
        `the ingest pipeline "${pipeline}" does not exist on the cluster, so every document would be rejected; ` +
          "create it, or correct or remove the sink's pipeline option",
      );
    }
  }
}
