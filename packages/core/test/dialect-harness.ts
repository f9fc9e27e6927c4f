import { expect } from 'vitest';
import { useSimulatorClient } from './simulator-client.js';
import type { Fault, QualysSimulator, SimulatorOptions } from '@qcs-export/qualys-simulator';
import { imageSource, QcsError, type ImageRecord, type ImageSourceOptions, type QualysGetter, type SourceStats } from '../src/index.js';

/**
 * Runs the image source against a simulator and checks the exactly-once promise: a run either delivers every
 * image the server holds at the end, once, and nothing that never existed, or fails with a QcsError whose exit
 * code is not 0 and whose message says what to do. Registers its own clean-up.
 */
const startSimulatorClient = useSimulatorClient({ maxRetries: 2 });
/** The simulator of the last run(), for tests that read its requests or data set. */
export let sim: QualysSimulator | undefined;

type Churn = Exclude<NonNullable<SimulatorOptions['updatesDuringCrawl']>, false>;

/**
 * How big a case is. The path a crawl takes depends on the data's size next to the cap one /images query reaches
 * (Qualys documents 10,000), not on the absolute numbers: 2,500 images under a 1,000 cap page past the cap as
 * 11,000 under 10,000 do, with a tenth of the page size, tie group and churn, and a fraction of the work. SMALL is
 * every case's default; FULL keeps one case per strategy at the documented cap.
 */
export interface Scale {
  /** The server's cap (simulator maxResultWindow) and the source's resultCap. */
  cap: number;
  /** Images in the data set: past the cap, and past the 90% of it auto reads by page number. */
  images: number;
  /** /images page size: a tenth of the cap. */
  pageSize: number;
  /** /images/list page size (at most 250). */
  bulkPageSize: number;
  /** A tie group: three /images pages, more than the keyset's `not uuid: [...]` list (100) holds. */
  ties: number;
  /** Images rescanned, added and removed while a crawl runs. */
  churn: Churn;
}

export const FULL: Scale = {
  cap: 10_000,
  images: 11_000,
  pageSize: 1000,
  bulkPageSize: 250,
  ties: 3000,
  churn: { everyRequests: 4, count: 12, adds: 1, removes: 1 },
};
export const SMALL: Scale = {
  cap: 1000,
  images: 2500,
  pageSize: 100,
  bulkPageSize: 100,
  ties: 300,
  churn: { everyRequests: 4, count: 3, adds: 1, removes: 1 },
};

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

/** Runs the source against a simulator at `scale` (cap, images, page size), which `simOptions` and `sourceOptions` override. */
export async function run(
  simOptions: SimulatorOptions,
  sourceOptions: Omit<ImageSourceOptions, 'client'>,
  midCrawl?: MidCrawlFault,
  scale: Scale = SMALL,
): Promise<Outcome> {
  const started = await startSimulatorClient({ images: scale.images, maxResultWindow: scale.cap, seed: 21, ...simOptions });
  sim = started.sim;
  const s = started.sim;
  const real = started.client;
  let matched = 0;
  const getter: QualysGetter = {
    get: (path, query = {}, options) => {
      if (midCrawl?.matches(path, query) && ++matched === midCrawl.nth) s.inject(midCrawl.fault);
      return real.get(path, query, options);
    },
  };
  const initial = new Set(s.images().map((i) => i.sha));
  const source = imageSource({ client: getter, pageSize: scale.pageSize, resultCap: scale.cap, ...sourceOptions });
  const records: ImageRecord[] = [];
  // A fault meant for the middle of a crawl must have been injected, with more of those requests after it.
  const expectMidCrawl = () => {
    if (midCrawl) expect(matched, `requests matching the mid-crawl fault (injected on the ${midCrawl.nth}th)`).toBeGreaterThan(midCrawl.nth);
  };
  try {
    for await (const batch of source) records.push(...batch);
  } catch (error) {
    expectMidCrawl();
    // A failure must be one of ours, with a stable code (which the CLI maps to a non-zero exit code: see
    // apps/runner/test/readme-error-codes.test.ts) and a message that says what to do.
    expect(error, String(error)).toBeInstanceOf(QcsError);
    expect((error as QcsError).code).toMatch(/^QCS_[A-Z_]+$/);
    expect((error as QcsError).message.length).toBeGreaterThan(40);
    return { ok: false, error: error as QcsError, stats: source.stats };
  }
  expectMidCrawl();
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

/** A tie group of `scale.ties` images on one value of `field`. */
const tied =
  (field: 'updated' | 'created', dialect: SimulatorOptions = {}) =>
  (scale: Scale): SimulatorOptions => ({ ties: { field, size: scale.ties }, ...dialect });

/** A dialect's simulator options, or a function of the scale for those whose data size is part of the case. */
export type DialectOptions = SimulatorOptions | ((scale: Scale) => SimulatorOptions);

/** Each dialect, the strategies whose requests it changes (auto always), and whether auto must complete. */
export const DIALECTS: Array<[string, DialectOptions, { autoCompletes: boolean; strategies: Strategy[] }]> = [
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
    'three pages of images on one updated value, unstable tie order',
    tied('updated', { dialect: { unstableTieOrder: true } }),
    { autoCompletes: true, strategies: ALL },
  ],
  ['three pages of images on one created value', tied('created'), { autoCompletes: true, strategies: KEYSET }],
  ['empty data past the cap', { capBehaviour: 'empty' }, { autoCompletes: true, strategies: KEYSET }],
  ['truncated data past the cap', { capBehaviour: 'truncate' }, { autoCompletes: true, strategies: KEYSET }],
  ['well-formed Link', { linkStyle: 'rfc', linkEnd: 'absent' }, { autoCompletes: true, strategies: LINK }],
  ['Link naming another host', { linkStyle: 'other-host' }, { autoCompletes: true, strategies: LINK }],
  ['no Link header at all', { linkStyle: 'none' }, { autoCompletes: true, strategies: LINK }],
  ['bulk answers carry a count', { dialect: { bulkCount: true } }, { autoCompletes: true, strategies: LINK }],
  ['no count on /images', { dialect: { count: 'absent' } }, { autoCompletes: false, strategies: ALL }],
];

/** Runs one dialect with one strategy, with images changing during the crawl, and checks auto's expected outcome. */
export async function checkDialect(strategy: Strategy, dialect: DialectOptions, expectation: { autoCompletes: boolean }, scale: Scale = SMALL): Promise<void> {
  const options = strategy === 'bulk' ? { strategy, pageSize: scale.bulkPageSize } : { strategy, concurrency: 4 };
  const simOptions = typeof dialect === 'function' ? dialect(scale) : dialect;
  const outcome = await run({ ...simOptions, updatesDuringCrawl: scale.churn }, options, undefined, scale);
  if (strategy === 'auto') {
    expect(outcome.ok, outcome.error?.message).toBe(expectation.autoCompletes);
    if (outcome.ok) expect(outcome.stats.strategyReason).toBeTruthy();
  }
}
