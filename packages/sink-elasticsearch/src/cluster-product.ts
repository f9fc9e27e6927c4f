import type { Client } from '@elastic/elasticsearch';
import { SinkError } from '@qcs-export/core/sink';

/**
 * What a node's root (GET /) says it is. OpenSearch names itself in version.distribution, except in the
 * compatibility mode of 1.x and 2.x (compatibility.override_main_response_version, an option of Amazon's managed
 * domains), which leaves the distribution out and reports 7.10.2; its tagline names OpenSearch either way.
 */
export type ClusterProduct =
  | { kind: 'opensearch'; version: string | undefined; compatibilityMode: boolean }
  | { kind: 'elasticsearch'; version: string | undefined }
  | { kind: 'unknown' };

/** A version number as the node reported it, or undefined: text from the server reaches a message only in this shape. */
function plainVersion(value: unknown): string | undefined {
  return typeof value === 'string' && /^\d{1,4}(\.\d{1,4}){0,3}(-[0-9A-Za-z.]{1,20})?$/.test(value) ? value : undefined;
}

export function productOf(root: unknown): ClusterProduct {
  if (root === null || typeof root !== 'object') return { kind: 'unknown' };
  const { version, tagline } = root as { version?: { distribution?: unknown; number?: unknown }; tagline?: unknown };
  const number = plainVersion(version?.number);
  if (version?.distribution === 'opensearch') return { kind: 'opensearch', version: number, compatibilityMode: false };
  if (typeof tagline === 'string' && tagline.includes('OpenSearch')) return { kind: 'opensearch', version: number, compatibilityMode: true };
  if (tagline === 'You Know, for Search') return { kind: 'elasticsearch', version: number };
  return { kind: 'unknown' };
}

/** A root answer is a few hundred bytes; anything much larger is not one. */
const MAX_ROOT_BYTES = 64 * 1024;

type Connection = Client['connectionPool']['connections'][number];

/** What one node answered on GET /: whether it sent the product header, and its root when that was JSON. */
async function rootAnswer(connection: Connection, timeoutMs: number): Promise<{ header: boolean; root: unknown } | undefined> {
  try {
    const answer = await connection.request(
      { method: 'GET', path: '/', headers: { accept: 'application/json' } },
      {
        requestId: 'qcs-export-root',
        name: 'qcs-export',
        context: null,
        maxResponseSize: MAX_ROOT_BYTES,
        maxCompressedResponseSize: MAX_ROOT_BYTES,
        timeout: timeoutMs,
      },
    );
    if (answer.statusCode < 200 || answer.statusCode > 299) return undefined;
    const header = answer.headers['x-elastic-product'] === 'Elasticsearch';
    try {
      return { header, root: JSON.parse(typeof answer.body === 'string' ? answer.body : answer.body.toString('utf8')) as unknown };
    } catch {
      return { header, root: undefined };
    }
  } catch {
    return undefined;
  }
}

/**
 * After a ProductNotSupportedError: the node that answers without the product header, and what its root says. The
 * client throws before it parses the body, and the error keeps only a redacted copy of the connection, so each
 * node's root is read again through the client's own connections: the same TLS settings, proxy and credentials.
 * Undefined when every node now answers with the header or none can be read.
 */
export async function findHeaderlessNode(client: Client, timeoutMs: number): Promise<{ origin: string; product: ClusterProduct } | undefined> {
  for (const connection of client.connectionPool.connections) {
    const answer = await rootAnswer(connection, timeoutMs);
    if (answer && !answer.header) return { origin: connection.url.origin, product: productOf(answer.root) };
  }
  return undefined;
}

const CLIENT = 'the official Elasticsearch client this sink uses (@elastic/elasticsearch)';
const ELSEWHERE =
  "export to JSON Lines instead (a jsonl sink) and load the file with OpenSearch's own tools (Data Prepper, or Logstash with its OpenSearch output)";

/** Before 7.14 Elasticsearch sent no product header, and the client refuses every answer without it. */
function predatesProductHeader(version: string): boolean {
  const [major = 0, minor = 0] = version.split(/[.-]/).map(Number);
  return major < 7 || (major === 7 && minor < 14);
}

/**
 * Why `where`, whose root names `product`, cannot be written to, and what to do instead. Only the product, its
 * version and the node's origin are named: nothing else from the answer, and never a credential.
 */
export function notElasticsearch(where: string, product: ClusterProduct): SinkError {
  if (product.kind === 'opensearch') {
    const named = !product.version
      ? 'OpenSearch'
      : product.compatibilityMode
        ? `OpenSearch, reporting version ${product.version} (its compatibility mode)`
        : `OpenSearch ${product.version}`;
    return new SinkError(`${where} answered as ${named}: ${CLIENT} does not support OpenSearch and refuses its answers;`, {
      setting: 'node',
      hint: `${ELSEWHERE}, or point node at an Elasticsearch cluster`,
    });
  }
  if (product.kind === 'elasticsearch' && product.version && predatesProductHeader(product.version)) {
    return new SinkError(
      `${where} answered as Elasticsearch ${product.version}, which predates the x-elastic-product header (7.14) that ${CLIENT} requires on every answer;`,
      { setting: 'node', hint: 'point node at an Elasticsearch 8 or 9 cluster (upgrade this one), or export to JSON Lines instead' },
    );
  }
  if (product.kind === 'elasticsearch') {
    return new SinkError(
      `${where} answered as Elasticsearch${product.version ? ` ${product.version}` : ''} but without the x-elastic-product header, ` +
        `which Elasticsearch sends on every answer since 7.14 and without which ${CLIENT} refuses an answer: ` +
        'something between this machine and the cluster (a proxy or load balancer) drops it;',
      { setting: 'node', hint: 'let it pass the x-elastic-product header on, or point node at the cluster directly' },
    );
  }
  return new SinkError(
    `${where} answered without the x-elastic-product header, and its root names no product: it does not look like Elasticsearch, ` +
      `and ${CLIENT} refuses such answers;`,
    {
      setting: 'node',
      hint: `check that node is Elasticsearch's HTTP address (port 9200 by default), not Kibana's or another service's; for OpenSearch, ${ELSEWHERE}`,
    },
  );
}

/**
 * An answer without the product header in the middle of a run, after the cluster passed the check at open: the
 * root is not read again there, so the message gives both causes.
 */
export function lostProductHeader(where: string, doing: string): SinkError {
  return new SinkError(
    `${where} answered without the x-elastic-product header while ${doing}, which ${CLIENT} requires: a node that is not Elasticsearch ` +
      '(OpenSearch, which the client does not support) or something in between that drops the header;',
    {
      setting: 'node',
      hint:
        'let a proxy or load balancer in front of the cluster pass the header on, and have node reach Elasticsearch nodes only; ' +
        `for OpenSearch, ${ELSEWHERE}`,
    },
  );
}
