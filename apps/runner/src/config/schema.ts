import { z } from 'zod';
import {
  assertSecureUrl,
  CLIENT_DEFAULTS,
  DEFAULT_SLA,
  IMAGES_RESULT_CAP,
  PAGE_SIZE_LIMITS,
  QcsError,
  QUALYS_PLATFORM_NAMES,
  QUALYS_PLATFORMS,
  SOURCE_STRATEGIES,
} from '@qcs-export/core';

// Descriptions and defaults live in .meta(): `qcs-export schema` and the README's option tables are made from them.
const authSchemas = {
  jwt: z
    .strictObject({
      username: z
        .string()
        .min(1, 'username is empty')
        .meta({ description: 'Qualys username for the JWT login (`POST /auth`). The token is renewed 5 minutes before it expires, and once on a 401.' }),
      password: z
        .string()
        .min(1, 'password is empty; set it from the environment, e.g. ${QUALYS_PASSWORD}')
        .meta({ description: 'Its password; read it from the environment, e.g. `${QUALYS_PASSWORD}`.' }),
    })
    .meta({ description: 'JWT login with a Qualys username and password.' }),
  token: z
    .strictObject({
      token: z.string().min(1, 'token is empty; set it from the environment, e.g. ${QUALYS_TOKEN}').meta({
        description: 'A ready bearer token instead of a login (e.g. generated in the Qualys UI); read it from the environment, e.g. `${QUALYS_TOKEN}`.',
      }),
    })
    .meta({ description: 'A ready bearer token instead of a login.' }),
  basic: z
    .strictObject({
      basic: z
        .strictObject({
          username: z.string().min(1).meta({ description: 'HTTP Basic username.' }),
          password: z.string().min(1).meta({ description: 'HTTP Basic password; read it from the environment.' }),
        })
        .meta({ description: 'HTTP Basic credentials, for older API servers.' }),
    })
    .meta({ description: 'HTTP Basic login, for older API servers.' }),
};
export type AuthKind = keyof typeof authSchemas;

/** Every auth form at once, for the editor schema and the README; validation picks one form, so errors talk about it. */
const anyAuthSchema = z
  .union([authSchemas.jwt, authSchemas.token, authSchemas.basic])
  .meta({ description: 'How to log in: `username` and `password` (JWT), a ready `token`, or `basic` credentials.' });

/** Which auth form the user wrote, from its keys, so errors talk about that form only. */
export function authKindOf(raw: unknown): AuthKind {
  if (raw && typeof raw === 'object') {
    if ('token' in raw) return 'token';
    if ('basic' in raw) return 'basic';
  }
  return 'jwt';
}

const baseUrl = z
  .string({ error: 'baseUrl must be a URL, e.g. https://gateway.qg1.apps.qualys.com' })
  .superRefine((value, ctx) => {
    try {
      assertSecureUrl(value, 'source.baseUrl');
    } catch (error) {
      if (!(error instanceof QcsError)) throw error;
      // The problem line names the setting already ("source.baseUrl: …"): the message goes on without it.
      ctx.addIssue({ code: 'custom', message: error.message.replace(/^source\.baseUrl /, ''), params: { qcsCode: error.code } });
    }
  })
  .optional()
  .meta({
    description:
      "The platform's gateway, e.g. `https://gateway.qg1.apps.qualys.com`: for a private cloud platform, or a proxy in front of Qualys. " +
      'It wins over `platform`. `http://` is refused unless the host is loopback.',
    defaultText: "`platform`'s gateway",
  });

const platform = z
  .enum(QUALYS_PLATFORM_NAMES)
  .optional()
  .meta({
    description:
      `The Qualys platform your subscription is on, by name: ${QUALYS_PLATFORM_NAMES.join(', ')} (the Qualys UI's Help › About, ` +
      "or the platform identification page, names it). It picks the platform's API gateway; give `baseUrl` instead for a private cloud platform.",
    defaultText: 'none: `baseUrl` is required',
  });

/** The gateway a live source talks to: its baseUrl, else its platform's; the config must name one of them. */
function requireGateway(source: { baseUrl?: string | undefined; platform?: string | undefined }, ctx: z.RefinementCtx): void {
  if (source.baseUrl === undefined && source.platform === undefined) {
    ctx.addIssue({
      code: 'custom',
      path: ['baseUrl'],
      message: `baseUrl or platform is required: platform: ${QUALYS_PLATFORM_NAMES.join(' | ')}, or baseUrl: the gateway, e.g. ${QUALYS_PLATFORMS.US1}`,
    });
  }
}

const { images: imagesPages, bulk: bulkPages } = PAGE_SIZE_LIMITS;
const pageSizeMessage =
  `pageSize must be a whole number from 1 to ${imagesPages.max} (auto, pages and images strategies) ` + `or 1 to ${bulkPages.max} (bulk strategy)`;
/** Records per request of a list, within the largest page any strategy takes; checkBulkPageSize narrows it for bulk. */
function pageSizeSchema(description: string) {
  return z
    .number({ error: pageSizeMessage })
    .int(pageSizeMessage)
    .min(1, pageSizeMessage)
    .max(imagesPages.max, pageSizeMessage)
    .optional()
    .meta({ description, defaultText: `\`${imagesPages.default}\`, or \`${bulkPages.default}\` for bulk` });
}

const common = {
  filter: z.string().optional().meta({
    description: "A QQL filter, e.g. `\"imagesInUse:'[now-7d ... now]'\"`. A filter the server rejects exits 2 with the server's message.",
    defaultText: 'every image',
  }),
  strategy: z
    .enum(SOURCE_STRATEGIES)
    .default('auto')
    .meta({
      description:
        'How to page: `auto`, `pages`, `images` or `bulk`. `auto` uses page numbers up to the 10,000 cap, and past it a keyset on `/images` ' +
        'if a self-test proves this server supports it, else the bulk cursor. `pages`, `images` (keyset on `updated`) and `bulk` force one.',
    }),
  pageSize: pageSizeSchema(
    `Records per request: 1..${imagesPages.max} for \`/images\` (\`auto\`, \`pages\`, \`images\`), 1..${bulkPages.max} for \`bulk\` ` +
      `(\`auto\` uses at most ${bulkPages.max} when it falls back to bulk).`,
  ),
  resultCap: z
    .number()
    .int()
    .min(100)
    .max(1_000_000)
    .default(IMAGES_RESULT_CAP)
    .meta({
      description:
        'The most records one `/images` query can reach (page number × page size). Qualys documents 10,000; set it lower only for a server or ' +
        'gateway that caps lower. `auto` reads by page number up to 90% of it.',
    }),
  prefetch: z.number().int().min(1).max(16).default(2).meta({ description: 'Pages fetched ahead of the sinks, per window.' }),
  concurrency: z.number().int().min(1).max(16).default(4).meta({
    description:
      "Requests in flight: keyset windows crawled at once, or page numbers fetched ahead. The rate governor keeps any value within the subscription's budget.",
  }),
  containers: z
    .strictObject({
      filter: z
        .string()
        .default('state:RUNNING')
        .meta({
          description:
            'The QQL filter of the containers list, for sinks with `records: containers` or `container-findings`. The default reads the ' +
            "running containers: Qualys keeps deleted ones for 390 days. `''` reads every container.",
        }),
      strategy: z
        .enum(SOURCE_STRATEGIES)
        .default('auto')
        .meta({
          description:
            'How to page `/containers`, as `source.strategy` pages `/images`: `auto`, `pages`, `images` (the keyset on `updated`) or `bulk` ' +
            '(`/containers/list`).',
        }),
      pageSize: pageSizeSchema('Containers per request, with the limits of `source.pageSize`.'),
    })
    .superRefine(checkBulkPageSize)
    .default({ filter: 'state:RUNNING', strategy: 'auto' })
    .meta({
      description:
        'How a run with a container grain reads the containers (`GET /csapi/v1.3/containers`, or `/containers/list` past the 10,000 cap), ' +
        'on budgets of their own. With `source.vulnerabilities`, each image the containers run is looked up once, for its repositories and findings.',
    }),
  vulnerabilities: z
    .strictObject({
      from: z
        .enum(['details', 'vuln'])
        .default('details')
        .meta({
          description:
            '`details`: `GET /images/{sha}` (title, severity, CVEs, packages, first and last found). ' +
            '`vuln`: `GET /images/{sha}/vuln`, which adds CVSS, customer severity and threat intelligence. ' +
            'One call per image either way, on the `/images/**` budget; images whose counts are all zero need none.',
        }),
      concurrency: z.number().int().min(1).max(64).default(32).meta({
        description: "Enrichment calls in flight. The rate governor paces them to the subscription's budget, so this only bounds how much latency is hidden.",
      }),
      includeClean: z
        .boolean()
        .default(false)
        .meta({
          description:
            'Also ask for the findings of images whose list counts are all zero (one call each). Set it where the image list leaves excepted ' +
            'findings out of its counts (`qcs-export doctor` says so): an image whose every finding is excepted then looks clean, and its ' +
            'excepted findings would not be exported.',
        }),
      exceptionDetails: z
        .boolean()
        .default(true)
        .meta({
          description:
            "Read the exception over each image's exempted findings (name, reason such as RISK_ACCEPTED, end date): one " +
            '`GET /images/{sha}/exceptions` per image that has an exempted finding, on the `/images/**` budget. `false` keeps ' +
            'the findings marked exempted without the details.',
        }),
    })
    .optional()
    .meta({ description: "Fetch each image's vulnerabilities, for sinks with `records: findings` or `packages`.", defaultText: 'no enrichment' }),
  sla: z
    .strictObject(
      Object.fromEntries(
        ([5, 4, 3, 2, 1] as const).map((s) => [
          String(s),
          z
            .number()
            .int()
            .min(0)
            .max(3650)
            .default(DEFAULT_SLA[s])
            .meta({ description: `Days to fix a severity ${s} finding.` }),
        ]),
      ) as Record<'1' | '2' | '3' | '4' | '5', z.ZodDefault<z.ZodNumber>>,
    )
    .default({ 1: DEFAULT_SLA[1], 2: DEFAULT_SLA[2], 3: DEFAULT_SLA[3], 4: DEFAULT_SLA[4], 5: DEFAULT_SLA[5] })
    .meta({ description: 'Days to fix a finding, by Qualys severity: the SLA fields (`slaDueAt`, `slaStatus`, `daysOverdue`) of the findings grains.' }),
};

function checkBulkPageSize(source: { strategy: string; pageSize?: number | undefined }, ctx: z.RefinementCtx): void {
  if (source.strategy === 'bulk' && source.pageSize !== undefined && source.pageSize > bulkPages.max) {
    ctx.addIssue({ code: 'custom', path: ['pageSize'], message: `${pageSizeMessage}; got ${source.pageSize}` });
  }
}

/** A live source whose auth is one form (for validation), or 'any' form (for the editor schema and the README). */
export function liveSourceSchema(kind: AuthKind | 'any') {
  return z
    .strictObject({
      platform,
      baseUrl,
      auth: kind === 'any' ? anyAuthSchema : authSchemas[kind],
      ...common,
      // The defaults are the client's own (CLIENT_DEFAULTS), applied there, so they are metadata here.
      timeouts: z
        .strictObject({
          connectMs: z.number().int().min(100).optional().meta({ description: 'Time to connect, in ms.', default: CLIENT_DEFAULTS.connectTimeoutMs }),
          headersMs: z
            .number()
            .int()
            .min(100)
            .optional()
            .meta({ description: 'Time from sending a request to its response headers, in ms.', default: CLIENT_DEFAULTS.headersTimeoutMs }),
          bodyMs: z
            .number()
            .int()
            .min(100)
            .optional()
            .meta({ description: 'Longest silence while a body arrives, in ms.', default: CLIENT_DEFAULTS.bodyTimeoutMs }),
          requestMs: z.number().int().min(100).optional().meta({
            description: 'Deadline of one attempt, headers and body, in ms: a body that trickles in slowly fails here and is retried.',
            default: CLIENT_DEFAULTS.requestTimeoutMs,
          }),
        })
        .optional()
        .meta({ description: 'Time limits of one request, in milliseconds.' }),
      retries: z
        .number()
        .int()
        .min(0)
        .max(20)
        .optional()
        .meta({
          description:
            'Retries of a call after 5xx, connection errors, timeouts or a garbled body, with capped exponential backoff and jitter. ' +
            '429/409 waits have a separate budget of 20 per call.',
          default: CLIENT_DEFAULTS.maxRetries,
        }),
      maxResponseMiB: z
        .number()
        .int()
        .min(1)
        .max(4096)
        .optional()
        .meta({
          description:
            'The largest answer accepted from Qualys, in MiB. A larger one (by its Content-Length, or as it streams in) fails the run ' +
            'with QCS_PROTOCOL instead of filling the memory; raise it only for images with tens of thousands of findings.',
          default: CLIENT_DEFAULTS.maxResponseBytes / (1024 * 1024),
        }),
      tls: z
        .strictObject({
          caFile: z
            .string()
            .min(1)
            .optional()
            .meta({
              description:
                'A CA certificate file (PEM) trusted in addition to the system CAs: a private CA, or that of a TLS-inspecting proxy. ' +
                'A regular file of at most 1 MiB, relative to the working directory; `NODE_EXTRA_CA_CERTS` is honoured as well.',
              defaultText: 'none',
            }),
        })
        .optional()
        .meta({ description: 'TLS to Qualys: which CAs to trust.', defaultText: 'the system CAs' }),
    })
    .superRefine(checkBulkPageSize)
    .superRefine(requireGateway)
    .transform(({ baseUrl, ...rest }) => ({ ...rest, baseUrl: baseUrl ?? QUALYS_PLATFORMS[rest.platform as keyof typeof QUALYS_PLATFORMS] }))
    .meta({ description: 'A Qualys subscription: its gateway (`platform` or `baseUrl`), credentials and how to page through its images.' });
}

export const simulatorSourceSchema = z
  .strictObject({
    simulator: z
      .strictObject({
        images: z.number().int().min(0).max(5_000_000).default(2000).meta({ description: 'Images in the simulated subscription, 0..5,000,000.' }),
        containers: z.number().int().min(0).max(5_000_000).optional().meta({
          description: 'Containers in the simulated subscription: most images run nowhere, a few run in many; in Kubernetes namespaces or plain Docker.',
          defaultText: 'twice the images',
        }),
        seed: z.number().int().default(1).meta({ description: 'Seed of the deterministic data set.' }),
        latencyMs: z.number().int().min(0).default(0).meta({ description: 'Latency added to every API call, in ms.' }),
        updatesPerCall: z
          .number()
          .int()
          .min(0)
          .default(0)
          .meta({ description: 'Rescan this many images after every second API call, to show exactly-once under change.' }),
      })
      .meta({ description: 'Export from the embedded Qualys simulator on 127.0.0.1 instead of a subscription; replaces `baseUrl` and `auth`.' }),
    ...common,
  })
  .superRefine(checkBulkPageSize)
  .meta({ description: 'The embedded Qualys simulator: a deterministic data set, no credentials, nothing leaves the machine.' });

export const runSchema = z
  .strictObject({
    logLevel: z.enum(['debug', 'info', 'warn', 'error']).default('info').meta({ description: '`debug`, `info`, `warn` or `error`. Logs go to stderr.' }),
    // A compliance export that finds nothing usually means a wrong filter, hence the option to fail.
    failOnEmpty: z
      .boolean()
      .default(false)
      .meta({
        description:
          'When the filter matches no image: `false` writes empty outputs and warns; ' +
          '`true` fails with exit code 5 (`QCS_EMPTY_EXPORT`) and writes or replaces nothing.',
      }),
    manifest: z
      .string()
      .min(1)
      .optional()
      .meta({
        description:
          'Write an audit manifest (JSON) here at the end of every run, successful or not: run id, config without secrets and its hash, ' +
          'requests, counts per sink, and the size and SHA-256 of every file written. `{date}`, `{time}` and `{datetime}` expand. ' +
          '`--manifest FILE` overrides it.',
        defaultText: 'no manifest',
      }),
    compareTo: z
      .string()
      .min(1)
      .optional()
      .meta({
        description:
          'Compare this run with the one whose audit manifest is named here: every finding gets `change` (`new` or `open`), the findings ' +
          'that are gone are written as `fixed` records, and the images that are gone are listed in the summary and the manifest. That run ' +
          'must have kept its findings (a full run with a manifest and `source.vulnerabilities`), for the same subscription and filter. ' +
          '`--compare-to FILE` overrides it.',
        defaultText: 'no comparison',
      }),
    state: z
      .string()
      .min(1)
      .optional()
      .meta({
        description:
          'Incremental runs: the state file. A run asks only for images updated since the last successful run (less `lookbackMinutes`), ' +
          'and the state moves on only when every sink has committed. `--state FILE` overrides it.',
        defaultText: 'none: every run is full',
      }),
    lookbackMinutes: z
      .number()
      .min(0)
      .max(7 * 24 * 60)
      .default(15)
      .meta({ description: 'Incremental runs re-read this many minutes before the last high-water mark, for late writes; the overlap is dropped.' }),
  })
  .default({ logLevel: 'info', failOnEmpty: false, lookbackMinutes: 15 })
  .meta({ description: 'How the run behaves: logging, what an export that finds no image does, the audit manifest and incremental state.' });

export type LiveSource = z.output<ReturnType<typeof liveSourceSchema>>;
export type SimulatorSource = z.output<typeof simulatorSourceSchema>;
export type SourceConfig = LiveSource | SimulatorSource;

export interface SinkConfig {
  type: string;
  /** A label for logs and the summary. Default: the type. */
  name: string;
  options: unknown;
}

export interface Config {
  source: SourceConfig;
  sinks: SinkConfig[];
  run: z.output<typeof runSchema>;
  /** The config file, for messages. */
  file: string;
  /**
   * Where the credentials were read from (`$QUALYS_PASSWORD`, `file /run/secrets/pw`), so a refused login says what
   * to check in this config's terms. Empty when they are written in the file.
   */
  credentialOrigins?: string[];
  /** Deprecated options the config uses, each saying what to write instead; the run logs them, validate prints them. */
  warnings?: string[];
}

export function isSimulatorSource(source: SourceConfig): source is SimulatorSource {
  return 'simulator' in source;
}
