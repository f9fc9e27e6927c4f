import { z } from 'zod';
import { assertSecureUrl, PAGE_SIZE_LIMITS, QcsError } from '@qcs-export/core';

const authSchemas = {
  jwt: z.strictObject({
    /** Qualys username for the JWT login (POST /auth). */
    username: z.string().min(1, 'username is empty'),
    /** Its password; read it from the environment: ${QUALYS_PASSWORD}. */
    password: z.string().min(1, 'password is empty; set it from the environment, e.g. ${QUALYS_PASSWORD}'),
  }),
  token: z.strictObject({
    /** A ready bearer token (e.g. generated in the Qualys UI). */
    token: z.string().min(1, 'token is empty; set it from the environment, e.g. ${QUALYS_TOKEN}'),
  }),
  basic: z.strictObject({
    /** HTTP Basic credentials, for older API servers. */
    basic: z.strictObject({ username: z.string().min(1), password: z.string().min(1) }),
  }),
};
export type AuthKind = keyof typeof authSchemas;

/** Which auth form the user wrote, from its keys, so errors talk about that form only. */
export function authKindOf(raw: unknown): AuthKind {
  if (raw && typeof raw === 'object') {
    if ('token' in raw) return 'token';
    if ('basic' in raw) return 'basic';
  }
  return 'jwt';
}

const baseUrl = z.string({ error: 'baseUrl is required: the Qualys gateway, e.g. https://gateway.qg1.apps.qualys.com' }).superRefine((value, ctx) => {
  try {
    assertSecureUrl(value, 'source.baseUrl');
  } catch (error) {
    ctx.addIssue({ code: 'custom', message: error instanceof QcsError ? error.message : String(error) });
  }
});

const { images: imagesPages, bulk: bulkPages } = PAGE_SIZE_LIMITS;
const pageSizeMessage = `pageSize must be a whole number from 1 to ${imagesPages.max} (auto, pages and images strategies) or 1 to ${bulkPages.max} (bulk strategy)`;
const common = {
  /** QQL filter, e.g. "imagesInUse:'[now-7d ... now]'". Default: every image. */
  filter: z.string().optional(),
  /**
   * auto (default): page numbers up to the 10,000 cap (documented); past it a keyset on /images if a self-test
   * proves this server supports it, else the bulk cursor. pages | images (keyset on updated) | bulk force one.
   */
  strategy: z.enum(['auto', 'pages', 'images', 'bulk']).default('auto'),
  /** Records per request: 1..1000 (images) or 1..250 (bulk). Default: 1000 / 250. */
  pageSize: z.number({ error: pageSizeMessage }).int(pageSizeMessage).min(1, pageSizeMessage).max(imagesPages.max, pageSizeMessage).optional(),
  /** Pages fetched ahead of the sinks, per window. Default: 2. */
  prefetch: z.number().int().min(1).max(16).default(2),
  /** Requests in flight at once: keyset windows, or page numbers fetched ahead. Default: 4. */
  concurrency: z.number().int().min(1).max(16).default(4),
};

function checkBulkPageSize(source: { strategy: string; pageSize?: number | undefined }, ctx: z.RefinementCtx): void {
  if (source.strategy === 'bulk' && source.pageSize !== undefined && source.pageSize > bulkPages.max) {
    ctx.addIssue({ code: 'custom', path: ['pageSize'], message: `${pageSizeMessage}; got ${source.pageSize}` });
  }
}

export function liveSourceSchema(kind: AuthKind) {
  return z
    .strictObject({
      /** The platform's gateway, e.g. https://gateway.qg1.apps.qualys.com (http:// only for loopback). */
      baseUrl,
      auth: authSchemas[kind],
      ...common,
      timeouts: z
        .strictObject({
          /** Default: 10000. */
          connectMs: z.number().int().min(100).optional(),
          /** Default: 60000. */
          headersMs: z.number().int().min(100).optional(),
          /** Longest silence while a body arrives. Default: 60000. */
          bodyMs: z.number().int().min(100).optional(),
          /** Whole-request deadline: headers and body of one attempt. Default: 120000. */
          requestMs: z.number().int().min(100).optional(),
        })
        .optional(),
      /** Retries of one call after transient failures (429 waits have their own budget). Default: 6. */
      retries: z.number().int().min(0).max(20).optional(),
    })
    .superRefine(checkBulkPageSize);
}

export const simulatorSourceSchema = z
  .strictObject({
    simulator: z.strictObject({
      /** Images in the simulated subscription. Default: 2000. */
      images: z.number().int().min(0).max(5_000_000).default(2000),
      /** Seed of the data set. Default: 1. */
      seed: z.number().int().default(1),
      /** Latency added to every API call, in ms. Default: 0. */
      latencyMs: z.number().int().min(0).default(0),
      /** Rescan this many images after every second API call, to show exactly-once under change. Default: 0. */
      updatesPerCall: z.number().int().min(0).default(0),
    }),
    ...common,
  })
  .superRefine(checkBulkPageSize);

export const runSchema = z
  .strictObject({
    /** debug | info | warn | error. Default: info. */
    logLevel: z.enum(['debug', 'info', 'warn', 'error']).default('info'),
    /**
     * An export that matches no image fails with exit code 5 and replaces no output, instead of writing empty
     * files with a warning (a compliance export that finds nothing usually means a wrong filter). Default: false.
     */
    failOnEmpty: z.boolean().default(false),
  })
  .default({ logLevel: 'info', failOnEmpty: false });

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
}

export function isSimulatorSource(source: SourceConfig): source is SimulatorSource {
  return 'simulator' in source;
}
