import { readFile } from 'node:fs/promises';
import { Client, errors, HttpConnection, type ClientOptions } from '@elastic/elasticsearch';
import {
  AuthError,
  CertificateError,
  ConfigError,
  ForbiddenError,
  NetworkError,
  ProtocolError,
  proxyFor,
  SinkError,
  TimeoutError,
  type QcsError,
} from '@qcs-export/core/sink';
import { BoundedUndiciConnection } from './bounded-connection.js';
import { fetchPinnedCertificate } from './ca-pin.js';
import { findHeaderlessNode, lostProductHeader, notElasticsearch, productOf } from './cluster-product.js';
import type { ElasticsearchSinkOptions } from './options.js';

export const nodesOf = (options: ElasticsearchSinkOptions): string[] => (Array.isArray(options.node) ? options.node : [options.node]);

/** The cluster's origin(s) for messages: never a path, query or credential. */
export const describeNodes = (options: ElasticsearchSinkOptions): string =>
  nodesOf(options)
    .map((n) => new URL(n).origin)
    .join(', ');

/**
 * The proxy the client goes through, chosen from HTTPS_PROXY/HTTP_PROXY/NO_PROXY as the Qualys client chooses
 * (core's proxyFor): none for loopback nodes or those NO_PROXY exempts. One client has one proxy, so nodes that
 * would go different ways are a config error.
 */
export function proxyForNodes(nodes: readonly string[], env: NodeJS.ProcessEnv = process.env): string | undefined {
  const chosen = new Set(nodes.map((node) => proxyFor(node, env)));
  if (chosen.size > 1)
    throw new ConfigError(
      `the Elasticsearch nodes ${nodes.map((n) => new URL(n).origin).join(', ')} would not all go through the same proxy ` +
        '(HTTPS_PROXY/HTTP_PROXY, NO_PROXY, and loopback hosts never use one); list nodes that are reached the same way, or adjust NO_PROXY',
      { setting: 'node' },
    );
  return [...chosen][0];
}

/** How the client reaches the nodes: through a proxy (the HTTP connection class, since the undici one refuses proxies) or directly. */
export function connectionFor(proxy: string | undefined): Pick<ClientOptions, 'Connection' | 'proxy'> {
  return proxy ? { Connection: HttpConnection, proxy } : { Connection: BoundedUndiciConnection };
}

/**
 * A client that never retries on its own: the sink retries bulk requests itself, with backoff, and knows which
 * documents a retry must repeat. Requests carry a timeout, so a cluster that stops answering cannot hang the run.
 * Neither connection class follows redirects; the bulk writer treats a 3xx answer as a failure.
 */
export async function createClient(options: ElasticsearchSinkOptions, userAgent: string, env: NodeJS.ProcessEnv = process.env): Promise<Client> {
  const proxy = proxyForNodes(nodesOf(options), env);
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
  const fingerprint = options.tls?.caFingerprint;
  if (fingerprint) {
    const pinned = await pinnedCertificates(options, fingerprint, proxy);
    if (pinned.length > 0) tls.ca = [...(tls.ca ? [tls.ca as Buffer] : []), ...pinned];
  }
  const auth = options.auth;
  return new Client({
    ...connectionFor(proxy),
    nodes: nodesOf(options),
    ...(auth
      ? { auth: 'apiKey' in auth ? { apiKey: auth.apiKey } : 'bearer' in auth ? { bearer: auth.bearer } : { username: auth.username, password: auth.password } }
      : {}),
    ...(options.tls?.caFingerprint ? { caFingerprint: options.tls.caFingerprint } : {}),
    tls,
    maxRetries: 0,
    // Every answer is bounded, as the Qualys client's are: a proxy or a misbehaving node cannot fill the memory.
    maxResponseSize: MAX_ANSWER_BYTES,
    maxCompressedResponseSize: MAX_ANSWER_BYTES,
    requestTimeout: options.requestTimeoutMs,
    headers: { 'user-agent': userAgent },
  });
}

/**
 * The certificates with the pinned fingerprint that the https nodes present, to trust as CAs (see ca-pin.ts). A node
 * that cannot be reached is left to the first request, which says so; one that presents no such certificate, when
 * no caFile is given either, fails here with what to check.
 */
async function pinnedCertificates(options: ElasticsearchSinkOptions, fingerprint: string, proxy: string | undefined): Promise<string[]> {
  const found = new Set<string>();
  const without: string[] = [];
  for (const node of nodesOf(options).map((n) => new URL(n))) {
    if (node.protocol !== 'https:') continue;
    const pem = await fetchPinnedCertificate(node, fingerprint, options.requestTimeoutMs, proxy).catch(() => null);
    if (pem) found.add(pem);
    else if (pem === undefined) without.push(node.origin);
  }
  if (without.length > 0 && found.size === 0 && !options.tls?.caFile)
    throw new CertificateError(`no certificate that ${without.join(', ')} presents has the SHA-256 fingerprint in tls.caFingerprint;`, {
      setting: 'tls',
      hint:
        "check tls.caFingerprint (the fingerprint of the cluster's CA: openssl x509 -noout -fingerprint -sha256 -in ca.crt, " +
        'or the one Elasticsearch printed when it first started), or give the CA as tls.caFile; a CA the node does not send must be given as tls.caFile',
    });
  return [...found];
}

/** A TLS failure: the certificate could not be verified or did not match. Trying again changes nothing. */
export function isCertificateError(error: unknown): boolean {
  if (!(error instanceof errors.ConnectionError)) return false;
  return /certificate|self[- ]signed|CERT_|unable to (verify|get)|altnames|fingerprint/i.test(error.message);
}

/** The largest answer read from the cluster: bulk answers for the largest requests are a few MiB. */
export const MAX_ANSWER_BYTES = 64 * 2 ** 20;

/** Status of a failed request, or undefined when no response came back. */
export const statusOf = (error: unknown): number | undefined => (error instanceof errors.ResponseError ? error.statusCode : undefined);

/** Worth another try: the cluster is busy or a connection failed; anything else will fail the same way again. */
export function isTransient(error: unknown): boolean {
  const status = statusOf(error);
  if (status !== undefined) return status === 429 || status === 502 || status === 503 || status === 504;
  if (isCertificateError(error)) return false;
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
  if (error instanceof errors.ProductNotSupportedError) return lostProductHeader(where, doing);
  if (isCertificateError(error)) {
    return new CertificateError(`cannot reach Elasticsearch at ${where} while ${doing}: ${(error as Error).message};`, {
      setting: 'tls',
      hint:
        "the cluster's certificate is not trusted: give its CA as tls.caFile (PEM) or its SHA-256 fingerprint as tls.caFingerprint, " +
        'or add the CA to NODE_EXTRA_CA_CERTS; check too that node names the host the certificate was issued for',
    });
  }
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
  // The transport's own words when an answer passes maxResponseSize, by its Content-Length or as it streams in.
  if (error instanceof errors.RequestAbortedError && /bigger than the maximum/.test(error.message)) {
    return new ProtocolError(`Elasticsearch at ${where} answered more than ${MAX_ANSWER_BYTES / 2 ** 20} MiB while ${doing}, which the export does not read;`, {
      setting: 'node',
      hint: 'no answer of the calls this sink makes is that large: check what stands between this machine and the cluster (a proxy sending something else)',
    });
  }
  return new SinkError(`${doing} on Elasticsearch at ${where} failed: ${(error as Error).message}`);
}

/** Fails fast, before any document is sent, when the cluster is down, is not Elasticsearch, or refuses the credentials. */
export async function verifyCluster(client: Client, options: ElasticsearchSinkOptions): Promise<void> {
  const info = await client.info(undefined, { meta: true }).catch(async (error: unknown): Promise<never> => {
    if (error instanceof errors.ProductNotSupportedError) {
      const node = await findHeaderlessNode(client, options.requestTimeoutMs);
      throw node ? notElasticsearch(node.origin, node.product) : lostProductHeader(describeNodes(options), 'connecting');
    }
    throw explain(error, options, 'connecting');
  });
  // A proxy can add the product header in front of OpenSearch to get past the client's check; the root still tells.
  const product = productOf(info.body);
  if (product.kind === 'opensearch') throw notElasticsearch(info.meta.connection?.url.origin ?? describeNodes(options), product);
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
