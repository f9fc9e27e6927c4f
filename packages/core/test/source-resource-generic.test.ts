import type { QualysSimulator, SimulatorOptions } from '@qcs-export/qualys-simulator';
import { describe, expect, it } from 'vitest';
import {
  ConfigError,
  decideAuto,
  listSource,
  type ListResource,
  type ListSourceOptions,
  type QualysGetter,
  type RequestOptions,
  SourceIncompleteError,
  type SourceStats,
} from '../src/index.js';
import { useSimulatorClient } from './simulator-client.js';

/**
 * A second resource, defined only here: the simulator's /images list read under another noun and key (`imageId`),
 * with a keyset on `updated` and no bulk cursor, as containers will be. It shows that the source reads any
 * ListResource with the same guarantees, and that a resource without a bulk cursor never falls back to one.
 */
interface Artefact {
  id: string;
  updated: number;
}

const ARTEFACTS: ListResource<Artefact> = {
  noun: 'artefacts',
  one: 'artefact',
  path: '/csapi/v1.3/images',
  resultCap: 10_000,
  pageNumberSort: 'created',
  keysetField: 'updated',
  keyField: 'imageId',
  exclusionField: 'uuid',
  key: (a) => a.id,
  changedAt: (a) => a.updated,
  normalize: (raw) => ({ id: String(raw['imageId']), updated: Number(raw['updated']) }),
};

const startSimulatorClient = useSimulatorClient({ maxRetries: 2 });
const start = (options: SimulatorOptions) => startSimulatorClient({ seed: 21, ...options });

async function drain(
  getter: QualysGetter,
  options: Omit<ListSourceOptions, 'client'>,
): Promise<{ ids: string[]; stats: SourceStats; error: unknown; batches: number }> {
  const source = listSource(ARTEFACTS, { client: getter, ...options });
  const ids: string[] = [];
  let batches = 0;
  try {
    for await (const batch of source) {
      batches++;
      ids.push(...batch.map((a) => a.id));
    }
    return { ids, stats: source.stats, error: undefined, batches };
  } catch (error) {
    return { ids, stats: source.stats, error, batches };
  }
}

function expectEveryRecordOnce(ids: string[], server: QualysSimulator): void {
  expect(ids.length).toBe(new Set(ids).size);
  expect(new Set(ids)).toEqual(new Set(server.images().map((i) => i.imageId)));
}

const listPaths = (server: QualysSimulator) => new Set(server.requests.map((r) => r.path));

describe('listSource reads a resource other than images (keyed by imageId, no bulk cursor)', () => {
  it('pages: delivers every record exactly once, keyed by the resource', async () => {
    const { sim: server, client: getter } = await start({ images: 700 });
    const { ids, stats, error } = await drain(getter, { strategy: 'pages', pageSize: 100 });
    expect(error).toBeUndefined();
    expectEveryRecordOnce(ids, server);
    expect(stats.strategy).toBe('pages');
    expect(stats.expectedAtStart).toBe(700);
    expect(stats.countAtEnd).toBe(700);
    // The pages are sorted by the resource's page-number field.
    expect(server.requests.some((r) => r.query['sort'] === 'created:asc')).toBe(true);
  });

  it('keyset past a 1,000 cap, with records rescanned and added during the crawl: every record exactly once', async () => {
    const { sim: server, client: getter } = await start({
      images: 2_500,
      maxResultWindow: 1_000,
      updatesDuringCrawl: { everyRequests: 6, count: 15, adds: 2 },
    });
    const { ids, stats, error } = await drain(getter, { strategy: 'images', pageSize: 100, resultCap: 1_000, concurrency: 3 });
    expect(error).toBeUndefined();
    expectEveryRecordOnce(ids, server);
    expect(ids.length).toBeGreaterThan(2_500);
    expect(stats.strategy).toBe('images');
    expect(stats.changedDuringRun).toBeGreaterThan(0);
  });

  it('auto past the cap with a passing self-test reads by keyset', async () => {
    const { sim: server, client: getter } = await start({ images: 1_500, maxResultWindow: 1_000 });
    const { ids, stats, error } = await drain(getter, { pageSize: 100, resultCap: 1_000 });
    expect(error).toBeUndefined();
    expectEveryRecordOnce(ids, server);
    expect(stats.strategy).toBe('images');
    expect(stats.strategyReason).toMatch(/^1500 artefacts, past the cap; the keyset self-test passed/);
  });

  it('auto past the cap whose self-test fails does not choose bulk: it fails loudly before delivering anything', async () => {
    const { sim: server, client: getter } = await start({ images: 1_500, maxResultWindow: 1_000, dialect: { ignoreNotUuid: true } });
    const { ids, stats, error, batches } = await drain(getter, { pageSize: 100, resultCap: 1_000 });
    expect(error).toBeInstanceOf(SourceIncompleteError);
    const failure = error as SourceIncompleteError;
    expect(failure.code).toBe('QCS_SOURCE_INCOMPLETE');
    expect(failure.expected).toBe(1_500);
    expect(failure.message).toMatch(/^1500 artefacts match the filter, more than the 900 auto reads by page number \(cap 1,000\); /);
    expect(failure.message).toMatch(/the keyset self-test failed \(updated>=X and not uuid: \[\.\.\.\]: expected count/);
    expect(failure.message).toMatch(/GET \/csapi\/v1\.3\/images has no bulk cursor/);
    expect(failure.message).toMatch(/Narrow the filter to at most 900 artefacts/);
    expect(stats.selfTest?.some((v) => !v.ok)).toBe(true);
    expect(stats.strategy).toBeUndefined();
    expect([ids.length, batches]).toEqual([0, 0]);
    expect(listPaths(server).has('/csapi/v1.3/images/list')).toBe(false);
  });

  it('a keyset that meets a server it cannot trust mid-run fails with that error instead of switching to bulk', async () => {
    const { sim: server, client: getter } = await start({ images: 1_500, maxResultWindow: 1_000 });
    // Once the run is past its self-test, one keyset page comes back out of order: auto would hand images over to
    // the bulk cursor here; a resource without one must fail with the keyset's own error.
    let keysetPages = 0;
    const outOfOrder: QualysGetter = {
      get: async <T = unknown>(path: string, query?: Record<string, string | number | undefined>, request?: RequestOptions) => {
        const response = await getter.get<T>(path, query, request);
        const filter = String(query?.['filter'] ?? '');
        const body = response.body as { data?: unknown[] } | null;
        if (query?.['pageSize'] === 100 && filter.includes('updated>=') && Array.isArray(body?.data) && ++keysetPages === 3) body.data.reverse();
        return response;
      },
    };
    const { error, stats } = await drain(outOfOrder, { pageSize: 100, resultCap: 1_000, concurrency: 1 });
    expect(stats.strategyReason).toMatch(/keyset self-test passed/);
    expect((error as Error).message).toMatch(/^Qualys returned artefact [0-9a-f]{12} out of the requested updated order or range; /);
    expect((error as Error).message).toMatch(/Use strategy: pages with a filter that matches fewer artefacts \(or auto\)\.$/);
    expect(stats.strategy).toBe('images');
    expect(listPaths(server).has('/csapi/v1.3/images/list')).toBe(false);
  });

  it('refuses the bulk strategy before any request, naming the list and what to use', async () => {
    const { sim: server, client: getter } = await start({ images: 10 });
    expect(() => listSource(ARTEFACTS, { client: getter, strategy: 'bulk' })).toThrow(ConfigError);
    expect(() => listSource(ARTEFACTS, { client: getter, strategy: 'bulk' })).toThrow(
      'the bulk strategy cannot read artefacts: GET /csapi/v1.3/images has no bulk cursor. Use strategy: auto or pages.',
    );
    const noKeyset = { ...ARTEFACTS, keysetField: undefined };
    expect(() => listSource(noKeyset, { client: getter, strategy: 'images' })).toThrow(/has no keyset field/);
    expect(server.requests).toHaveLength(0);
  });

  it('auto with neither a keyset nor a bulk cursor fails past the page-number limit and reads by page number below it', async () => {
    const { sim: server, client: getter } = await start({ images: 950, maxResultWindow: 1_000 });
    const pagesOnly = { ...ARTEFACTS, keysetField: undefined };
    const past = listSource(pagesOnly, { client: getter, pageSize: 100, resultCap: 1_000 });
    await expect(
      (async () => {
        for await (const _ of past) void _;
      })(),
    ).rejects.toThrow(
      /^950 artefacts match the filter, more than the 900 .*; artefacts cannot be paged by key, and GET \/csapi\/v1\.3\/images has no bulk cursor/,
    );
    expect(listPaths(server).has('/csapi/v1.3/images/list')).toBe(false);

    const ids: string[] = [];
    for await (const batch of listSource(pagesOnly, { client: getter, pageSize: 100, resultCap: 1_000, pageNumberLimit: 1_000 }))
      ids.push(...batch.map((a) => a.id));
    expectEveryRecordOnce(ids, server);
  });
});

describe('decideAuto says where a resource without a bulk cursor cannot go', () => {
  const failedTest = { ok: false, calls: 6, verdicts: [{ form: 'updated>=X and not uuid: [...]', ok: false, detail: 'expected count 9, got 10' }] };

  it('with a bulk cursor (images), a failed self-test past the cap chooses bulk, as before', () => {
    expect(decideAuto(12_000, 9_000, failedTest)).toEqual({
      strategy: 'bulk',
      reason:
        '12000 images, past the cap; the keyset self-test failed (updated>=X and not uuid: [...]: expected count 9, got 10), ' +
        'so the documented bulk cursor is used',
    });
    expect(decideAuto(undefined, 9_000, undefined).strategy).toBe('bulk');
  });

  it('without one, it throws QCS_SOURCE_INCOMPLETE instead of choosing bulk, and still chooses pages and a proven keyset', () => {
    expect(() => decideAuto(12_000, 9_000, failedTest, 10_000, ARTEFACTS)).toThrow(SourceIncompleteError);
    expect(() => decideAuto(undefined, 9_000, undefined, 10_000, ARTEFACTS)).toThrow(/no bulk cursor to read without one/);
    expect(decideAuto(9_000, 9_000, undefined, 10_000, ARTEFACTS).strategy).toBe('pages');
    expect(decideAuto(12_000, 9_000, { ...failedTest, ok: true }, 10_000, ARTEFACTS).strategy).toBe('images');
  });
});
