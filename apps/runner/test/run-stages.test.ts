import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AbortedError,
  EmptyExportError,
  normalizeImage,
  QualysClient,
  SinkError,
  silentLogger,
  type ImageRecord,
  type Logger,
  type Sink,
  type SourceStats,
} from '@qcs-export/core';
import { startSimulator, type QualysSimulator } from '@qcs-export/qualys-simulator';
import { parseConfig } from '../src/config/load.js';
import { sinkPlugins } from '../src/registry.js';
import { checkNotEmpty } from '../src/run/empty-export.js';
import { runContextFor } from '../src/run/run-context.js';
import { abortRunSinks, createRunSinks, type RunSink } from '../src/run/run-sinks.js';
import { enrich } from '../src/run/stages/enrichment.js';
import { fanOut } from '../src/run/stages/fan-out.js';
import { prepareAll } from '../src/run/stages/publish.js';
import { readSource } from '../src/run/stages/source.js';

const signal = new AbortController().signal;
const configOf = (source: string, run = '') =>
  parseConfig(`source:\n  simulator: { images: 10 }\n${source}sinks:\n  - type: jsonl\n    path: out.jsonl\n${run}`, join('/tmp', 'c.yaml'), sinkPlugins);

async function shasOf(batches: AsyncIterable<ImageRecord[]>): Promise<string[]> {
  const out: string[] = [];
  for await (const batch of batches) for (const image of batch) out.push(image.sha);
  return out.sort();
}

describe('the source and enrichment stages, against the simulator on loopback', () => {
  let sim: QualysSimulator;
  let client: QualysClient;
  beforeAll(async () => {
    sim = await startSimulator({ images: 300, seed: 3 });
    client = new QualysClient({ baseUrl: sim.url, auth: { kind: 'jwt', ...sim.credentials }, logger: silentLogger, userAgent: 'stage-test' });
  });
  afterAll(async () => {
    await client.close();
    await sim.close();
  });

  it('readSource reads every image once; with updatedSince, only those updated since, the bound added to the filter', async () => {
    const source = configOf('  pageSize: 100\n').source;
    const full = readSource(source, client, { signal, logger: silentLogger });
    expect(full.filter).toBeUndefined();
    expect(await shasOf(full.batches)).toEqual(
      sim
        .images()
        .map((i) => i.sha)
        .sort(),
    );
    expect(full.stats.records).toBe(300);

    const times = sim.images().map((i) => Number(i.updated));
    const since = [...times].sort((a, b) => a - b)[150] as number;
    const changes = readSource(source, client, { signal, logger: silentLogger, updatedSince: since });
    expect(changes.filter).toBe(`updated>=${since}`);
    const expected = sim.images().filter((i) => Number(i.updated) >= since);
    expect(expected.length).toBeGreaterThan(0);
    expect(expected.length).toBeLessThan(300);
    expect(await shasOf(changes.batches)).toEqual(expected.map((i) => i.sha).sort());
  });

  it('readSource keeps the config filter and adds the bound to it', () => {
    const source = configOf('  filter: "repo.registry: docker.io"\n').source;
    expect(readSource(source, client, { signal, logger: silentLogger, updatedSince: 1234 }).filter).toBe('repo.registry: docker.io and updated>=1234');
  });

  it('enrich passes the batches through untouched without source.vulnerabilities, and asks for nothing', async () => {
    const before = sim.requests.length;
    const batches = readSource(configOf('').source, client, { signal, logger: silentLogger }).batches;
    const stage = enrich(batches, configOf('').source, client, { signal, logger: silentLogger, now: new Date() });
    expect(stage.batches).toBe(batches);
    expect(stage.stats).toBeUndefined();
    expect(sim.requests.length).toBe(before);
  });

  it('enrich gives each image its findings with source.vulnerabilities, and counts the calls', async () => {
    const source = configOf('  vulnerabilities: { from: details }\n').source;
    const stage = enrich(readSource(source, client, { signal, logger: silentLogger }).batches, source, client, {
      signal,
      logger: silentLogger,
      now: new Date(),
    });
    let images = 0;
    let findings = 0;
    for await (const batch of stage.batches) {
      images += batch.length;
      for (const i of batch) findings += i.vulnerabilities?.length ?? 0;
    }
    expect(images).toBe(300);
    expect(findings).toBeGreaterThan(0);
    expect(stage.stats?.findings).toBe(findings);
    expect(stage.stats?.calls).toBeGreaterThan(0);
  });
});

const image = (n: number) => normalizeImage({ sha: n.toString(16).padStart(64, '0'), updated: String(1_700_000_000_000 + n) }, 'images');

/** A sink that logs what the run does to it, failing where told. */
function recordingSink(name: string, calls: string[], fail: { write?: number; prepare?: boolean } = {}): RunSink {
  let writes = 0;
  const sink: Sink = {
    open: async () => void calls.push(`open ${name}`),
    write: async (batch) => {
      calls.push(`write ${name} ${batch.length}`);
      if (++writes === fail.write) throw new SinkError('the destination refused the batch');
    },
    prepare: async () => {
      calls.push(`prepare ${name}`);
      if (fail.prepare) throw new SinkError('no space left on device');
    },
    close: async () => ({ type: 'test', target: name, records: 0, rejected: 0 }),
    abort: async () => void calls.push(`abort ${name}`),
  };
  return { name, type: 'test', sink, inPlace: false, findings: false, images: true, containers: false, label: `"${name}" (test)` };
}

/** How the images stage hands a batch to a sink. */
const write = (sink: Sink, batch: readonly ImageRecord[]) => sink.write(batch);

async function* pulled(calls: string[], ...batches: ImageRecord[][]): AsyncGenerator<ImageRecord[]> {
  for (const [i, batch] of batches.entries()) {
    calls.push(`pull ${i + 1}`);
    yield batch;
  }
}

describe('the fan-out stage', () => {
  it('reads the first batch before any sink opens, then gives every batch to every sink before pulling the next', async () => {
    const calls: string[] = [];
    const sinks = [recordingSink('a', calls), recordingSink('b', calls)];
    await fanOut(pulled(calls, [image(1), image(2)], [image(3)]), sinks, { signal, write });
    expect(calls).toEqual(['pull 1', 'open a', 'open b', 'write a 2', 'write b 2', 'pull 2', 'write a 1', 'write b 1']);
    expect(sinks.every((s) => s.opened)).toBe(true);
  });

  it('opens no sink when the first batch fails (bad credentials, a rejected filter)', async () => {
    const calls: string[] = [];
    const sinks = [recordingSink('a', calls)];
    async function* failing(): AsyncGenerator<ImageRecord[]> {
      yield* [];
      throw new Error('login refused');
    }
    await expect(fanOut(failing(), sinks, { signal, write })).rejects.toThrow('login refused');
    expect(calls).toEqual([]);
    expect(sinks[0]?.opened).toBeUndefined();
  });

  it('names the sink whose write failed, and stops pulling', async () => {
    const calls: string[] = [];
    const sinks = [recordingSink('a', calls), recordingSink('b', calls, { write: 1 })];
    const failure = fanOut(pulled(calls, [image(1)], [image(2)]), sinks, { signal, write });
    await expect(failure).rejects.toThrow(SinkError);
    await expect(failure).rejects.toThrow('sink "b": the destination refused the batch');
    expect(calls).not.toContain('pull 2');
  });

  it('stops with AbortedError when the run is interrupted between batches', async () => {
    const controller = new AbortController();
    const calls: string[] = [];
    await expect(
      fanOut(pulled(calls, [image(1)], [image(2)]), [recordingSink('a', calls)], { signal: controller.signal, write, onBatch: () => controller.abort() }),
    ).rejects.toThrow(AbortedError);
    expect(calls).toEqual(['pull 1', 'open a', 'write a 1', 'pull 2']);
  });

  it('reports each batch to onBatch after every sink took it', async () => {
    const calls: string[] = [];
    await fanOut(pulled(calls, [image(1), image(2)], [image(3)]), [recordingSink('a', calls)], {
      signal,
      write,
      onBatch: (batch) => void calls.push(`batch ${batch.length}`),
    });
    expect(calls).toEqual(['pull 1', 'open a', 'write a 2', 'batch 2', 'pull 2', 'write a 1', 'batch 1']);
  });
});

describe('the publish stage: prepareAll, the first phase of the commit', () => {
  it('prepares every sink and names the one that failed', async () => {
    const calls: string[] = [];
    const failure = prepareAll([recordingSink('a', calls), recordingSink('b', calls, { prepare: true })], signal);
    await expect(failure).rejects.toThrow('sink "b": no space left on device');
    expect(calls).toEqual(['prepare a', 'prepare b']);
  });

  it('fails with AbortedError when an interrupt came while the sinks were finishing', async () => {
    const controller = new AbortController();
    controller.abort();
    await expect(prepareAll([recordingSink('a', [])], controller.signal)).rejects.toThrow(AbortedError);
  });
});

describe("the run's sinks", () => {
  it('createRunSinks takes from each plugin whether it commits in place', () => {
    const config = parseConfig(
      'source:\n  simulator: { images: 10 }\nsinks:\n  - type: jsonl\n    path: "-"\n  - type: csv\n    path: out.csv\n' +
        '  - type: elasticsearch\n    node: http://127.0.0.1:9200\n    index: qcs\n',
      '/tmp/c.yaml',
      sinkPlugins,
    );
    const sinks = createRunSinks(config.sinks, sinkPlugins, runContextFor(config, { sourceLabel: 'test' }));
    expect(sinks.map((s) => [s.name, s.inPlace])).toEqual([
      ['jsonl', true],
      ['csv', false],
      ['elasticsearch', true],
    ]);
  });

  it('abortRunSinks aborts every sink and warns only for the in-place sinks that had opened', async () => {
    const calls: string[] = [];
    const warned: string[] = [];
    const logger: Logger = { ...silentLogger, warn: (m) => void warned.push(m) };
    const sinks = [
      { ...recordingSink('file', calls), opened: true },
      { ...recordingSink('index', calls), inPlace: true, opened: true },
      { ...recordingSink('never-opened', calls), inPlace: true },
    ];
    await abortRunSinks(sinks, new Error('boom'), logger);
    expect(calls.sort()).toEqual(['abort file', 'abort index', 'abort never-opened']);
    expect(warned).toEqual(['sink "index" (test) writes as it goes: what it sent before the failure stays there; re-run the export to complete it']);
  });
});

const IMAGES_READ = { noun: 'image', filter: undefined } as const;

describe('checkNotEmpty: the verdict on a run that found no image', () => {
  const none = { records: 0 } as SourceStats;
  it('an incremental run that found no change is fine, and says nothing', () => {
    const warned: string[] = [];
    checkNotEmpty(configOf('', 'run:\n  failOnEmpty: true\n'), none, 'changes', { ...silentLogger, warn: (m) => void warned.push(m) }, IMAGES_READ);
    expect(warned).toEqual([]);
  });

  it('a full run fails with run.failOnEmpty, and warns without it', () => {
    expect(() => checkNotEmpty(configOf('', 'run:\n  failOnEmpty: true\n'), none, 'full', silentLogger, IMAGES_READ)).toThrow(EmptyExportError);
    const warned: string[] = [];
    checkNotEmpty(configOf(''), none, 'full', { ...silentLogger, warn: (m) => void warned.push(m) }, IMAGES_READ);
    expect(warned).toEqual([expect.stringMatching(/Qualys holds no image for the subscription: every output is empty/)]);
  });
});
