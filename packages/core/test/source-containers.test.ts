import { describe, expect, it } from 'vitest';
import type { QualysSimulator, SimulatorOptions } from '@qcs-export/qualys-simulator';
import {
  containerSource,
  lookUpImages,
  silentLogger,
  SourceIncompleteError,
  type ContainerRecord,
  type RunContainer,
  type ImageSourceOptions,
  type SourceStrategy,
} from '../src/index.js';
import { useSimulatorClient } from './simulator-client.js';

// Issue 21, point 1: the container source has the image source's guarantees, through the same strategies, ledger and
// completeness checks over the CONTAINERS resource. Past a 300 cap (the simulator's maxResultWindow and the source's
// resultCap) with 700 containers, which takes the paths of the documented 10,000 cap with a fraction of the requests.
const setup = useSimulatorClient();
const SMALL_CAP: SimulatorOptions = { images: 200, containers: 700, maxResultWindow: 300 };

async function collect(options: ImageSourceOptions): Promise<{ records: ContainerRecord[]; source: ReturnType<typeof containerSource> }> {
  const source = containerSource(options);
  const records: ContainerRecord[] = [];
  for await (const batch of source) records.push(...batch);
  return { records, source };
}

function expectExactlyOnce(records: readonly ContainerRecord[], sim: QualysSimulator, state?: string): void {
  const delivered = records.map((r) => r.sha);
  expect(delivered.length - new Set(delivered).size, 'duplicates delivered').toBe(0);
  const expected = sim
    .containers()
    .filter((c) => state === undefined || c.state === state)
    .map((c) => c.sha);
  expect(new Set(delivered)).toEqual(new Set(expected));
}

describe('container source: every container exactly once past the cap', () => {
  for (const strategy of ['auto', 'images', 'bulk'] as const satisfies readonly SourceStrategy[]) {
    it(`${strategy}: exact while containers change, start and are removed during the crawl`, async () => {
      const { sim, client } = await setup({
        ...SMALL_CAP,
        seed: 5,
        updatesDuringCrawl: { everyRequests: 2, count: 0, containerUpdates: 3, containerAdds: 1, containerRemoves: 1 },
      });
      const { records, source } = await collect({ client, strategy, pageSize: strategy === 'bulk' ? 200 : 100, resultCap: 300, concurrency: 2 });
      // Containers removed during the run may have been delivered before they went: every one delivered existed, and
      // every one the server holds at the end was delivered.
      const delivered = new Set(records.map((r) => r.sha));
      expect(records.length - delivered.size, 'duplicates delivered').toBe(0);
      for (const c of sim.containers()) expect(delivered.has(c.sha), `container ${c.sha} never delivered`).toBe(true);
      expect(sim.stats.containerUpdates + sim.stats.containerAdds).toBeGreaterThan(0);
      expect(source.stats.strategy).toEqual(strategy === 'auto' ? expect.stringMatching(/^(images|bulk)$/) : strategy);
      // The list is read on the containers' own endpoints, never past the cap of one query.
      const lists = sim.requests.filter((r) => /^\/csapi\/v1\.3\/containers(\/list)?$/.test(r.path));
      expect(lists.length).toBeGreaterThan(0);
      for (const r of lists) expect(Number(r.query['pageNumber'] ?? 1) * Number(r.query['pageSize'] ?? 50)).toBeLessThanOrEqual(300);
      expect(sim.requests.filter((r) => r.path.startsWith('/csapi/v1.3/images'))).toEqual([]);
    });
  }

  it('pages: within the cap, the filter state:RUNNING gives the running containers, normalized, each once', async () => {
    const { sim, client } = await setup({ images: 100, containers: 250, seed: 2 });
    const { records, source } = await collect({ client, strategy: 'pages', filter: 'state:RUNNING', pageSize: 40 });
    expectExactlyOnce(records, sim, 'RUNNING');
    expect(records.every((r) => r.state === 'RUNNING' && r.origin === 'containers')).toBe(true);
    expect(source.stats).toMatchObject({ strategy: 'pages', expectedAtStart: records.length, countAtEnd: records.length });
    // Kubernetes context comes from cluster.k8s.pod or from the labels, whichever the record carries.
    expect(records.filter((r) => r.kubernetes?.namespace).length).toBeGreaterThan(records.length / 3);
  });

  it('bulk: the /containers/list cursor reads every container, records normalized from their bulk form', async () => {
    const { sim, client } = await setup({ images: 100, containers: 400, seed: 9, linkStyle: 'doc' });
    const { records } = await collect({ client, strategy: 'bulk', pageSize: 50 });
    expectExactlyOnce(records, sim);
    expect(records.every((r) => r.origin === 'containers/list')).toBe(true);
    expect(sim.requests.some((r) => r.path === '/csapi/v1.3/containers/list' && r.query['paginationQuery'] !== undefined)).toBe(true);
  });

  it('a short page the server never makes good fails loudly as for images, naming the containers', async () => {
    const { client } = await setup({
      images: 50,
      containers: 150,
      seed: 4,
      faults: [{ kind: 'shortPage', count: 1000, path: '/csapi/v1.3/containers' }],
    });
    await expect(collect({ client, strategy: 'pages', pageSize: 50 })).rejects.toThrow(/containers/);
    await expect(collect({ client, strategy: 'pages', pageSize: 50 })).rejects.toBeInstanceOf(SourceIncompleteError);
  });

  it('a tie too large to exclude at the top of the keyset (300 containers updated at once) ends without asking an empty page again', async () => {
    const { sim, client } = await setup({ images: 400, containers: 3000, seed: 1 });
    // The store re-indexes on its next query after a change: the newest 300 then share one updated, the newest value.
    sim.updateContainers(1);
    const newest = [...sim.containers()].sort((a, b) => Number(b.updated) - Number(a.updated)).slice(0, 300);
    const top = String(Number(newest[0]?.updated) + 1000);
    for (const c of newest) (c as { updated: string }).updated = top;
    const warned: string[] = [];
    const logger = { ...silentLogger, warn: (m: string) => void warned.push(m) };
    const { records, source } = await collect({ client, strategy: 'images', pageSize: 200, resultCap: 1000, logger });
    expectExactlyOnce(records, sim);
    expect(source.stats.strategy).toBe('images');
    expect(warned.filter((w) => /empty page/.test(w))).toEqual([]);
  });
});

describe('lookUpImages: the image each container runs, once per image', () => {
  it('one call per distinct image across batches, containers in order, batches cut to a bound of finding rows', async () => {
    const { sim, client } = await setup({ images: 80, containers: 400, seed: 3 });
    const source = containerSource({ client, strategy: 'pages', pageSize: 100 });
    // Few in memory, so most are read back from the spill file.
    const looked = lookUpImages(source, { client, concurrency: 8, findingsPerBatch: 500, imagesInMemory: 4 });
    const out: RunContainer[][] = [];
    for await (const batch of looked) out.push(batch);
    const all = out.flat();
    expect(all.map((c) => c.container.sha).sort()).toEqual(
      sim
        .containers()
        .map((c) => c.sha)
        .sort(),
    );
    for (const batch of out) {
      const rows = batch.reduce((n, c) => n + Math.max(1, c.image?.vulnerabilities?.length ?? 0), 0);
      if (batch.length > 1) expect(rows).toBeLessThanOrEqual(500);
    }
    const named = new Set(all.map((c) => c.container.imageSha).filter((s) => s !== null));
    const details = sim.requests.filter((r) => /^\/csapi\/v1\.3\/images\/[0-9a-f]{64}$/.test(r.path)).map((r) => r.path);
    expect(details.length).toBe(named.size);
    expect(new Set(details).size).toBe(named.size);
    expect(looked.stats.calls).toBe(named.size);
    expect(looked.stats.rereads).toBeGreaterThan(0);
    // Every container of an image carries that image, with its findings, whether it came from memory or the file; the
    // containers of one image in one batch share one copy of it.
    for (const c of all) if (c.container.imageSha !== null) expect(c.image?.sha).toBe(c.container.imageSha);
    for (const batch of out) {
      const bySha = new Map<string, unknown>();
      for (const c of batch) {
        if (c.image === null) continue;
        expect(bySha.get(c.image.sha) ?? c.image).toBe(c.image);
        bySha.set(c.image.sha, c.image);
      }
    }
  });
});
