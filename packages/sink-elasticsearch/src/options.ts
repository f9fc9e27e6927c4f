import { z } from 'zod';
import { assertSecureUrl, type RecordGrain, recordsOption } from '@qcs-export/core/sink';

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

/** Where Kibana's Findings → Vulnerabilities page reads third-party findings (Kibana's CDR_LATEST_THIRD_PARTY_VULNERABILITIES_INDEX_PATTERN). */
const KIBANA_INDEX = /^security_solution-.+\.vulnerability_latest$/;
export const KIBANA_LATEST_ALIAS = 'security_solution-qualys_cs.vulnerability_latest';
/**
 * The alias of container findings for Kibana: an index of its own, since its documents (one per container × finding,
 * `resource.id` the container) and their mapping differ from the image findings', and each is emptied of what its
 * own run did not write.
 */
export const KIBANA_CONTAINERS_LATEST_ALIAS = 'security_solution-qualys_cs_containers.vulnerability_latest';
/** The grains Kibana's findings page can list: those whose documents are vulnerabilities. */
export const KIBANA_GRAINS: readonly RecordGrain[] = ['findings', 'packages', 'container-findings'];

/**
 * The dataset of each grain's documents (`event.dataset`), and of its data stream by Elastic's naming,
 * `<type>-<dataset>-<namespace>`. Image documents are the record as it is, without ECS fields: no dataset, and an
 * index or data stream named in the config.
 */
export const DATASETS = {
  images: undefined,
  findings: 'qualys_cs.vulnerability',
  packages: 'qualys_cs.vulnerability',
  software: 'qualys_cs.software',
  containers: 'qualys_cs.container',
  'container-findings': 'qualys_cs.container_vulnerability',
} as const satisfies Record<RecordGrain, string | undefined>;
export const FINDINGS_DATASET = DATASETS.findings;
export const FINDINGS_DATA_STREAM = `logs-${FINDINGS_DATASET}-default`;
/** The data stream a grain's documents go to with `dataStream: true` and no `index`, or undefined (images). */
export function defaultDataStreamOf(records: RecordGrain): string | undefined {
  const dataset = DATASETS[records];
  return dataset === undefined ? undefined : `logs-${dataset}-default`;
}

const secret = (what: string) => z.string().min(1, `${what} is empty; set it from the environment, e.g. \${ES_API_KEY}`);

export const elasticsearchOptions = z
  .strictObject({
    // Descriptions and defaults live in .meta(): `qcs-export schema` and the README's option table are made from them.
    node: z
      .union([url, z.array(url).min(1)])
      .meta({ description: 'The cluster URL, or a list of node URLs. `https://`; plain `http://` only to a loopback host.' }),
    index: indexName.optional().meta({
      description:
        'The index, or the data stream with `dataStream: true`, or with `kibana: true` the alias Kibana reads. Lowercase, as Elasticsearch ' +
        "requires. Required for image documents; for every other grain a data stream follows Elastic's naming, `logs-<dataset>-<namespace>`. " +
        'Give each grain an index of its own: their documents and mappings differ.',
      defaultText:
        `with \`kibana: true\`, \`${KIBANA_LATEST_ALIAS}\` (\`${KIBANA_CONTAINERS_LATEST_ALIAS}\` for container findings); ` +
        `with \`dataStream: true\`, \`logs-<dataset>-default\`: \`${FINDINGS_DATA_STREAM}\` for findings and packages, ` +
        `\`${defaultDataStreamOf('container-findings')}\`, \`${defaultDataStreamOf('containers')}\`, \`${defaultDataStreamOf('software')}\``,
    }),
    auth: z
      .union([
        z.strictObject({ apiKey: secret('apiKey').meta({ description: 'The encoded API key, e.g. `${ES_API_KEY}`.' }) }).meta({ description: 'An API key.' }),
        z
          .strictObject({
            username: z.string().min(1).meta({ description: 'The user name, with `password`.' }),
            password: secret('password').meta({ description: 'Its password.' }),
          })
          .meta({ description: 'A user name and password (HTTP Basic).' }),
        z.strictObject({ bearer: secret('bearer').meta({ description: 'A bearer token.' }) }).meta({ description: 'A bearer token.' }),
      ])
      .optional()
      .meta({
        description:
          'Credentials: `{ apiKey }`, `{ username, password }` or `{ bearer }`. ' +
          'Read them from the environment or a `${file:…}`; they never appear in logs or messages.',
        defaultText: 'none',
      }),
    tls: z
      .strictObject({
        caFile: z
          .string()
          .min(1)
          .optional()
          .meta({ description: 'A CA certificate file (PEM) to trust, e.g. `ca.pem` for a private CA.', defaultText: 'none' }),
        caFingerprint: z
          .string()
          .min(1)
          .optional()
          .meta({
            description:
              'The SHA-256 fingerprint of the cluster\'s CA, e.g. `"AA:BB:…"`. On its own it trusts a self-signed or private CA the node sends ' +
              'in its chain (pinned, every connection verified); otherwise give `caFile`.',
            defaultText: 'none',
          }),
      })
      .optional()
      .meta({ description: 'Which CA to trust: `caFile` and/or `caFingerprint`.', defaultText: 'the system CAs' }),
    records: recordsOption.meta({
      description:
        'What one document is: `images` (one per image, `_id` = sha: the record as it is), `findings` (one per image × vulnerability, ECS), ' +
        '`packages` (one per image × vulnerability × affected package, ECS), `software` (one per image × installed package, ECS `package.*`), ' +
        '`containers` (one per container, `_id` = its sha, ECS `container.*`, `orchestrator.*`, `host.*`) or `container-findings` ' +
        '(one per container × vulnerability of the image it runs, ECS, `resource.id` the container). ' +
        '`findings`, `packages` and `container-findings` need `source.vulnerabilities`.',
    }),
    dataStream: z
      .boolean()
      .default(false)
      .meta({
        description:
          'Append to a data stream (`op_type: create`, `@timestamp` = export time) to keep history over time, instead of one document per image, ' +
          'finding, package or container.',
      }),
    kibana: z
      .boolean()
      .default(false)
      .meta({
        description:
          "Keep the latest findings where Kibana's Findings → Vulnerabilities page reads them: one document per current finding and package " +
          `(\`${KIBANA_LATEST_ALIAS}\`, an alias over a versioned index), each run's time as \`@timestamp\`, fixed findings and images ` +
          'gone removed at the end of a complete run. With `records: container-findings`, one per container × finding, the container as the ' +
          `resource (\`${KIBANA_CONTAINERS_LATEST_ALIAS}\`). Findings only (\`records: findings\`, \`packages\` or \`container-findings\`); ` +
          'full runs only.',
      }),
    manageTemplate: z
      .boolean()
      .default(true)
      .meta({ description: 'Install the index template on open. With `false`, a template named `templateName` must already exist.' }),
    templateName: z.string().min(1).optional().meta({ description: 'Name of the index template.', defaultText: '`qcs-export-<index>`' }),
    pipeline: z
      .string()
      .min(1)
      .optional()
      .meta({
        description:
          'An ingest pipeline to run on every document. It must exist: the sink checks at open (and `validate` checks), ' +
          'since a mistyped name would have the cluster reject every document.',
        defaultText: 'none',
      }),
    refresh: z.boolean().default(true).meta({ description: 'Refresh the index at the end, so a search right after the run sees every document.' }),
    flushBytes: z
      .number()
      .int()
      .min(1024)
      .max(100_000_000)
      .default(5_000_000)
      .meta({ description: 'The most one bulk request holds, in bytes (a single larger document goes alone). Lowered for the rest of the run after a 413.' }),
    flushDocs: z.number().int().min(1).max(100_000).default(1000).meta({ description: 'The most one bulk request holds, in documents.' }),
    concurrency: z.number().int().min(1).max(16).default(2).meta({ description: 'Bulk requests in flight at once. When all are busy, the export waits.' }),
    maxRetries: z
      .number()
      .int()
      .min(0)
      .max(50)
      .default(8)
      .meta({
        description:
          'Retries of a document answered 429, and of a whole request answered 429/502/503/504 or cut off. ' +
          'Backoff is exponential with jitter, from 0.5 s up to 30 s.',
      }),
    requestTimeoutMs: z.number().int().min(100).max(600_000).default(60_000).meta({ description: 'Timeout of one request, in ms.' }),
    deadLetterPath: z.string().min(1).default('elasticsearch-rejected-{index}-{datetime}.ndjson').meta({
      description: 'Where rejected documents go, as NDJSON; `{index}`, `{date}`, `{time}` and `{datetime}` expand. Created only when a document is rejected.',
    }),
    removeUnseen: z
      .boolean()
      .default(false)
      .meta({
        description:
          'After a complete full run (not an incremental one), delete the documents this run did not write: images gone from the subscription ' +
          '(Qualys keeps them 13 months) or no longer matching the filter, and their findings or packages; containers gone, and their findings. ' +
          'Only for an index this config alone fills.',
      }),
  })
  .superRefine((options, ctx) => {
    if (options.kibana) {
      if (!KIBANA_GRAINS.includes(options.records)) {
        ctx.addIssue({
          code: 'custom',
          path: ['kibana'],
          message:
            `kibana: true needs records: findings, packages or container-findings, since Kibana's findings page lists vulnerabilities and ` +
            `records: ${options.records} writes none; drop kibana, or export the ${options.records} with a second sink`,
        });
      }
      if (options.dataStream) {
        ctx.addIssue({
          code: 'custom',
          path: ['kibana'],
          message: 'kibana: true keeps the latest findings in an index, and a data stream keeps history: choose one (a second sink can do the other)',
        });
      }
      if (options.index !== undefined && !KIBANA_INDEX.test(options.index)) {
        ctx.addIssue({
          code: 'custom',
          path: ['index'],
          message: `with kibana: true the index must match security_solution-*.vulnerability_latest, which Kibana reads (e.g. ${KIBANA_LATEST_ALIAS})`,
        });
      }
    } else if (options.index === undefined && !(options.dataStream && defaultDataStreamOf(options.records) !== undefined)) {
      ctx.addIssue({ code: 'custom', path: ['index'], message: 'index is required' });
    }
    if (options.removeUnseen && options.dataStream) {
      ctx.addIssue({
        code: 'custom',
        path: ['removeUnseen'],
        message: 'removeUnseen needs an index: a data stream keeps history, and its documents cannot be deleted',
      });
    }
  })
  .transform((options) => ({ ...options, index: options.index ?? defaultIndexOf(options) }))
  .describe(
    'Elasticsearch: one document per image (_id = sha), finding, package, installed package or container, a data stream for history, ' +
      'or the latest findings for Kibana',
  );

export type ElasticsearchSinkOptions = z.output<typeof elasticsearchOptions>;

/** The index when the config names none: Kibana's alias, or the grain's data stream (the refinement makes sure there is one). */
function defaultIndexOf(options: { kibana: boolean; records: RecordGrain }): string {
  if (options.kibana) return options.records === 'container-findings' ? KIBANA_CONTAINERS_LATEST_ALIAS : KIBANA_LATEST_ALIAS;
  return defaultDataStreamOf(options.records) ?? FINDINGS_DATA_STREAM;
}

/**
 * The index a new target is created as. With `kibana: true`, `index` is an alias over a versioned index, as Elastic's
 * own integrations keep theirs, so a later version of the mapping can be built beside it and the alias moved.
 */
export function concreteIndexOf(options: Pick<ElasticsearchSinkOptions, 'index' | 'kibana'>): string {
  return options.kibana ? `${options.index}-v1` : options.index;
}
