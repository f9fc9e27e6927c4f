import { z } from 'zod';
import { assertSecureUrl } from '@qcs-export/core/sink';

const url = z.string().superRefine((value, ctx) => {
  try {
    assertSecureUrl(value, 'node');
  } catch (error) {
    ctx.addIssue({ code: 'custom', message: (error as Error).message });
  }
});

// Elasticsearch's own rules for index and data stream names, checked here so a typo fails before any export.
const indexName = z
  .string()
  .min(1, 'index is required')
  .max(255)
  .refine((n) => n === n.toLowerCase(), 'index must be lowercase')
  .refine((n) => !/[\\/*?"<>| ,#:]/.test(n), 'index may not contain \\ / * ? " < > | , # : or spaces')
  .refine((n) => !/^[-_+.]/.test(n), 'index may not start with - _ + or .');

const secret = (what: string) => z.string().min(1, `${what} is empty; set it from the environment, e.g. \${ES_API_KEY}`);

export const elasticsearchOptions = z
  .strictObject({
    /** Cluster URL, or a list of node URLs. https://, or http:// to a loopback host only. Required. */
    node: z.union([url, z.array(url).min(1)]),
    /** Index (or data stream, with dataStream: true) to write to. Required. */
    index: indexName,
    /** Credentials: { apiKey }, { username, password } or { bearer }. Read them from the environment. Default: none. */
    auth: z
      .union([
        z.strictObject({ apiKey: secret('apiKey') }),
        z.strictObject({ username: z.string().min(1), password: secret('password') }),
        z.strictObject({ bearer: secret('bearer') }),
      ])
      .optional(),
    /** TLS: a CA certificate file (PEM) and/or the CA's SHA-256 fingerprint. Default: the system's trusted CAs. */
    tls: z.strictObject({ caFile: z.string().min(1).optional(), caFingerprint: z.string().min(1).optional() }).optional(),
    /** Append to a data stream (op_type create, @timestamp = export time) for history, instead of one document per image. Default: false. */
    dataStream: z.boolean().default(false),
    /** Install the index template on open; false only checks that one exists. Default: true. */
    manageTemplate: z.boolean().default(true),
    /** Name of the index template. Default: "qcs-export-<index>". */
    templateName: z.string().min(1).optional(),
    /** Ingest pipeline to run on every document. Default: none. */
    pipeline: z.string().min(1).optional(),
    /** Refresh the index when the export ends, so the documents are searchable at once. Default: true. */
    refresh: z.boolean().default(true),
    /** The most one bulk request holds, in bytes (a larger single document goes alone); lowered for the run after a 413. Default: 5000000. */
    flushBytes: z.number().int().min(1024).max(100_000_000).default(5_000_000),
    /** ...and in documents. Default: 1000. */
    flushDocs: z.number().int().min(1).max(100_000).default(1000),
    /** Bulk requests in flight at once; more wait (that is the backpressure). Default: 2. */
    concurrency: z.number().int().min(1).max(16).default(2),
    /** Retries of a document the cluster answered 429 for, and of a whole request on 429/502/503/504 or a lost connection. Default: 8. */
    maxRetries: z.number().int().min(0).max(50).default(8),
    /** Timeout of one request, in milliseconds. Default: 60000. */
    requestTimeoutMs: z.number().int().min(100).max(600_000).default(60_000),
    /** Where rejected documents go, as NDJSON; {index}, {date}, {time}, {datetime} expand. Created only if one is rejected. Default: "elasticsearch-rejected-{index}-{datetime}.ndjson". */
    deadLetterPath: z.string().min(1).default('elasticsearch-rejected-{index}-{datetime}.ndjson'),
  })
  .describe('Elasticsearch: one document per image (_id = sha), or a data stream for history');

export type ElasticsearchSinkOptions = z.output<typeof elasticsearchOptions>;
