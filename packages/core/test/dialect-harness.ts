import { afterEach, expect } from 'vitest';
import { startSimulator, type Fault, type QualysSimulator, type SimulatorOptions } from '@qcs-export/qualys-simulator';
import { imageSource, QcsError, QualysClient, type ImageRecord, type ImageSourceOptions, type QualysGetter, type SourceStats } from '../src/index.js';

/**
 * Runs the image source against a simulator and checks the exactly-once promise: a run either delivers every
 * image the server holds at the end, once, and nothing that never existed, or fails with a QcsError whose exit
 * code is not 0 and whose message says what to do. Registers its own clean-up.
 */
export let sim: QualysSimulator | undefined;
let client: QualysClient | undefined;
afterEach(async () => {
  await client?.close();
  await sim?.close();
  sim = undefined;
  client = undefined;
});

export const CHURN = { everyRequests: 4, count: 12, adds: 1, removes: 1 } as const;

export interface Outcome {
  ok: boolean;
  error?: QcsError;
  stats: SourceStats;
}

/** Injects `fault` into the simulator just before the `nth` call whose path and query match, i.e. mid-crawl. */
export interface MidCrawlFault {
  fault: Fault;
  nth: number;
  matches: (path: string, query: Record<string, string | number | undefined>) => boolean;
}

export async function run(simOptions: SimulatorOptions, sourceOptions: Omit<ImageSourceOptions, 'client'>, midCrawl?: MidCrawlFault): Promise<Outcome> {
  sim = await startSimulator({ rateLimit: false, images: 11_000, seed: 21, ...simOptions });
  const s = sim;
  client = new QualysClient({ baseUrl: s.url, auth: { kind: 'jwt', ...s.credentials }, retry: { baseDelayMs: 5, maxDelayMs: 20, maxRetries: 2 } });
  const real = client;
  let matched = 0;
  const getter: QualysGetter = {
    get: (path, query = {}, options) => {
      if (midCrawl?.matches(path, query) && ++matched === midCrawl.nth) s.inject(midCrawl.fault);
      return real.get(path, query, options);
    },
  };
  const initial = new Set(s.images().map((i) => i.sha));
  const source = imageSource({ client: getter, pageSize: 1000, ...sourceOptions });
  const records: ImageRecord[] = [];
  try {
    for await (const batch of source) records.push(...batch);
  } catch (error) {
    // A failure must be one of ours, with a stable code (which the CLI maps to a non-zero exit code: see
    // apps/runner/test/readme-error-codes.test.ts) and a message that says what to do.
    expect(error, String(error)).toBeInstanceOf(QcsError);
    expect((error as QcsError).code).toMatch(/^QCS_[A-Z_]+$/);
    expect((error as QcsError).message.length).toBeGreaterThan(40);
    return { ok: false, error: error as QcsError, stats: source.stats };
  }
  // A clean end: every image the server holds now was delivered, exactly once, and nothing that never existed.
  const delivered = records.map((r) => r.sha);
  const unique = new Set(delivered);
  expect(delivered.length - unique.size, 'images delivered twice').toBe(0);
  const final = sim.images().map((i) => i.sha);
  expect(final.filter((s) => !unique.has(s)).length, 'images the server holds but the run did not deliver').toBe(0);
  expect([...unique].filter((s) => !initial.has(s) && !final.includes(s)).length, 'images that never existed').toBe(0);
  expect(source.stats.countAtEnd).toBe(final.length);
  return { ok: true, stats: source.stats };
}

export type Strategy = 'auto' | 'images' | 'bulk';
const KEYSET: Strategy[] = ['auto', 'images'];
const LINK: Strategy[] = ['auto', 'bulk'];
const ALL: Strategy[] = ['auto', 'images', 'bulk'];

/** Each dialect, the strategies whose requests it changes (auto always), and whether auto must complete. */
export const DIALECTS: Array<[string, SimulatorOptions, { autoCompletes: boolean; strategies: Strategy[] }]> = [
  ['documented reading', {}, { autoCompletes: true, strategies: ALL }],
  ['rejects comparisons (>=, <)', { dialect: { reject: ['compare'] } }, { autoCompletes: true, strategies: KEYSET }],
  ['rejects "not"', { dialect: { reject: ['not'] } }, { autoCompletes: true, strategies: KEYSET }],
  ['rejects bracket ranges', { dialect: { reject: ['bracket-range'] } }, { autoCompletes: true, strategies: KEYSET }],
  ['rejects sort=updated', { dialect: { reject: ['sort:updated'] } }, { autoCompletes: true, strategies: KEYSET }],
  ['reads epoch-ms as seconds', { dialect: { epochSeconds: true } }, { autoCompletes: true, strategies: KEYSET }],
  ['ignores not uuid:[…]', { dialect: { ignoreNotUuid: true } }, { autoCompletes: true, strategies: KEYSET }],
  ['over-filters combined ranges', { dialect: { overFilterCombinedRanges: true } }, { autoCompletes: true, strategies: KEYSET }],
  ['ignores sort', { dialect: { ignoreSort: true } }, { autoCompletes: true, strategies: KEYSET }],
  [
    '3,000 images on one updated value, unstable tie order',
    { ties: { field: 'updated', size: 3000 }, dialect: { unstableTieOrder: true } },
    { autoCompletes: true, strategies: ALL },
  ],
  ['3,000 images on one created value', { ties: { field: 'created', size: 3000 } }, { autoCompletes: true, strategies: KEYSET }],
  ['empty data past the cap', { capBehaviour: 'empty' }, { autoCompletes: true, strategies: KEYSET }],
  ['truncated data past the cap', { capBehaviour: 'truncate' }, { autoCompletes: true, strategies: KEYSET }],
  ['well-formed Link', { linkStyle: 'rfc', linkEnd: 'absent' }, { autoCompletes: true, strategies: LINK }],
  ['Link naming another host', { linkStyle: 'other-host' }, { autoCompletes: true, strategies: LINK }],
  ['no Link header at all', { linkStyle: 'none' }, { autoCompletes: true, strategies: LINK }],
  ['bulk answers carry a count', { dialect: { bulkCount: true } }, { autoCompletes: true, strategies: LINK }],
  ['no count on /images', { dialect: { count: 'absent' } }, { autoCompletes: false, strategies: ALL }],
];

/** Runs one dialect with one strategy, with images changing during the crawl, and checks auto's expected outcome. */
export async function checkDialect(strategy: Strategy, dialect: SimulatorOptions, expectation: { autoCompletes: boolean }): Promise<void> {
  const options = strategy === 'bulk' ? { strategy, pageSize: 250 } : { strategy, concurrency: 4 };
  const outcome = await run({ ...dialect, updatesDuringCrawl: CHURN }, options);
  if (strategy === 'auto') {
    expect(outcome.ok, outcome.error?.message).toBe(expectation.autoCompletes);
    if (outcome.ok) expect(outcome.stats.strategyReason).toBeTruthy();
  }
}
