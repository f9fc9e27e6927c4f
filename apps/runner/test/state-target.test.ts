import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { defineSinkPlugin, silentLogger, StateInvalidError, type AnySinkPlugin } from '@qcs-export/core';
import { parseConfig } from '../src/config/load.js';
import { sinkPlugins } from '../src/registry.js';
import { scheduledRun } from '../src/run/scheduled-run.js';
import { incrementalRefusals } from '../src/sink-declarations.js';
import { identityOf } from '../src/state/identity.js';
import { planRun } from '../src/state/plan.js';
import type { RunState } from '../src/state/state-file.js';

const plugin = (type: string) => sinkPlugins.get(type) as AnySinkPlugin;
const targetOf = (type: string, options: Record<string, unknown>) => {
  const p = plugin(type);
  return p.stateTarget?.(p.options.parse(options));
};
const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

describe('each sink plugin declares what a state records for it (stateTarget)', () => {
  it('jsonl and csv: the path as the config writes it (unresolved) and the records grain', () => {
    expect(targetOf('jsonl', { path: 'out/images-{datetime}.jsonl' })).toEqual({ target: 'out/images-{datetime}.jsonl', records: 'images' });
    expect(targetOf('jsonl', { path: '-', records: 'findings' })).toEqual({ target: '-', records: 'findings' });
    expect(targetOf('csv', { path: 'out/rows-{datetime}.csv', records: 'packages' })).toEqual({ target: 'out/rows-{datetime}.csv', records: 'packages' });
  });

  it('excel: the path, with images as its grain whatever the findings sheets', () => {
    expect(targetOf('excel', { path: 'out/images.xlsx' })).toEqual({ target: 'out/images.xlsx', records: 'images' });
    expect(targetOf('excel', { path: 'out/images.xlsx', findings: 'findings' })).toEqual({ target: 'out/images.xlsx', records: 'images' });
    expect(targetOf('excel', { path: 'out/f.xlsx', records: 'findings' })).toEqual({ target: 'out/f.xlsx', records: 'findings' });
    expect(targetOf('excel', { path: 'out/f.xlsx', records: ['images', 'packages'] })).toEqual({ target: 'out/f.xlsx', records: 'images' });
  });

  it('elasticsearch: the index or data stream by name, and the records grain', () => {
    const node = 'http://127.0.0.1:9200';
    expect(targetOf('elasticsearch', { node, index: 'qcs-images' })).toEqual({ target: 'qcs-images', records: 'images' });
    expect(targetOf('elasticsearch', { node, index: 'logs-qcs-default', dataStream: true, records: 'findings' })).toEqual({
      target: 'logs-qcs-default',
      records: 'findings',
    });
  });
});

describe('the state identity comes from the plugins, and states written before them stay valid', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'qcs-state-target-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const sinksYaml =
    '  - type: jsonl\n    path: out/images-{datetime}.jsonl\n' +
    '  - type: csv\n    name: rows\n    path: out/rows-{datetime}.csv\n    records: findings\n' +
    '  - type: elasticsearch\n    name: index\n    node: http://127.0.0.1:9200\n    index: qcs-images\n' +
    '  - type: elasticsearch\n    name: events\n    node: http://127.0.0.1:9200\n    index: logs-qcs-default\n    dataStream: true\n';

  /** A state as qcs-export wrote it before plugins declared their targets (the runner read path, index and records). */
  const stateWrittenTheOldWay: RunState = {
    stateVersion: 1,
    subscription: { target: 'simulator (seed 7, 200 images)', user: null },
    filterSha256: sha256(''),
    sinks: [
      { name: 'jsonl', type: 'jsonl', records: 'images', target: 'out/images-{datetime}.jsonl' },
      { name: 'rows', type: 'csv', records: 'findings', target: 'out/rows-{datetime}.csv' },
      { name: 'index', type: 'elasticsearch', records: 'images', target: 'qcs-images' },
      { name: 'events', type: 'elasticsearch', records: 'images', target: 'logs-qcs-default' },
    ],
    highWaterMark: '2026-11-01T00:00:00.000Z',
    overlap: [],
    lastRun: { runId: 'r1', startedAt: '2026-11-01T00:00:00.000Z', endedAt: '2026-11-01T00:01:00.000Z', mode: 'full' },
  };

  it('a state written the old way is accepted by the same config: the run is incremental', () => {
    const config = parseConfig(
      `source:\n  simulator: { images: 200, seed: 7 }\n  vulnerabilities: { from: details }\nsinks:\n${sinksYaml}run:\n  state: state.json\n`,
      join(dir, 'config.yaml'),
      sinkPlugins,
    );
    expect(incrementalRefusals(config, sinkPlugins)).toEqual([]);
    expect(identityOf(config, sinkPlugins).sinks).toEqual(stateWrittenTheOldWay.sinks);
    const plan = planRun(stateWrittenTheOldWay, identityOf(config, sinkPlugins), { fullRefresh: false, lookbackMs: 60_000, statePath: 'state.json' });
    expect(plan).toMatchObject({ mode: 'incremental', since: Date.parse('2026-11-01T00:00:00.000Z') - 60_000 });
  });

  it('a state file written the old way on disk: the scheduled run reads it, runs incremental, and writes it back in the same shape', async () => {
    const statePath = join(dir, 'state.json');
    const path = join(dir, 'out/images-{datetime}.jsonl');
    const state: RunState = { ...stateWrittenTheOldWay, sinks: [{ name: 'jsonl', type: 'jsonl', records: 'images', target: path }] };
    await writeFile(statePath, `${JSON.stringify(state, null, 2)}\n`);
    const config = parseConfig(
      `source:\n  simulator: { images: 200, seed: 7 }\nsinks:\n  - type: jsonl\n    path: ${path}\nrun:\n  state: ${statePath}\n`,
      join(dir, 'config.yaml'),
      sinkPlugins,
    );
    const result = await scheduledRun(config, { plugins: sinkPlugins, logger: silentLogger, signal: new AbortController().signal, redact: (t) => t });
    expect(result.state).toMatchObject({ mode: 'incremental', updated: true });
    const written = JSON.parse(await readFile(statePath, 'utf8'));
    expect(Object.keys(written).sort()).toEqual(Object.keys(state).sort());
    expect(written.sinks).toEqual(state.sinks);
  });

  /** A sink whose destination lies in an option no built-in sink has, which a runner guessing names could not see. */
  const bucketSink = defineSinkPlugin({
    type: 'bucket',
    description: 'test sink writing to an object-store bucket',
    options: z.strictObject({ bucket: z.string(), prefix: z.string().default('qcs/') }),
    commit: () => 'in-place',
    create: () => ({
      open: async () => undefined,
      write: async () => undefined,
      close: async () => ({ type: 'bucket', target: 'bucket', records: 0, rejected: 0 }),
      abort: async () => undefined,
    }),
    incremental: () => ({ ok: true, meaning: 'each changed image is put under its sha' }),
    stateTarget: (options) => ({ target: `${options.bucket}/${options.prefix}`, records: 'images' }),
  });

  it('a sink that names its destination its own way is refused when the state was written for another destination', () => {
    const plugins = new Map<string, AnySinkPlugin>([...sinkPlugins, ['bucket', bucketSink]]);
    const configFor = (bucket: string) =>
      parseConfig(
        `source:\n  simulator: { images: 10 }\nsinks:\n  - type: bucket\n    bucket: ${bucket}\nrun:\n  state: state.json\n`,
        join(dir, 'c.yaml'),
        plugins,
      );
    const first = identityOf(configFor('evidence-eu'), plugins);
    expect(first.sinks).toEqual([{ name: 'bucket', type: 'bucket', records: 'images', target: 'evidence-eu/qcs/' }]);
    const state = { ...stateWrittenTheOldWay, subscription: first.subscription, filterSha256: first.filterSha256, sinks: first.sinks };
    const options = { fullRefresh: false, lookbackMs: 0, statePath: 'state.json' };
    expect(planRun(state, first, options).mode).toBe('incremental');
    expect(() => planRun(state, identityOf(configFor('evidence-us'), plugins), options)).toThrow(StateInvalidError);
    expect(() => planRun(state, identityOf(configFor('evidence-us'), plugins), options)).toThrow(
      /sinks without "bucket" \(bucket, records: images, evidence-us\/qcs\/\)/,
    );
  });

  it('a refusal points at the option the plugin names (a file path), or at the sink type when it names none (a workbook)', () => {
    const yaml = 'source:\n  simulator: { images: 10 }\nrun:\n  state: state.json\nsinks:\n  - type: csv\n    path: f.csv\n  - type: excel\n    path: e.xlsx\n';
    let message = '';
    try {
      parseConfig(yaml, join(dir, 'c.yaml'), sinkPlugins);
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toMatch(/sinks\[0\]\.path: with run\.state, an incremental run writes only the images changed/);
    expect(message).toMatch(/sinks\[1\]\.type: with run\.state, a workbook is a snapshot/);
  });

  it('a sink that takes part in incremental runs without declaring its state target is refused, at load and at run', async () => {
    const { stateTarget: _dropped, ...withoutTarget } = bucketSink;
    const plugins = new Map<string, AnySinkPlugin>([...sinkPlugins, ['bucket', withoutTarget as AnySinkPlugin]]);
    const yaml = 'source:\n  simulator: { images: 10 }\nsinks:\n  - type: bucket\n    bucket: evidence\n';
    expect(() => parseConfig(`${yaml}run:\n  state: state.json\n`, join(dir, 'c.yaml'), plugins)).toThrow(/declares no stateTarget/);
    const config = parseConfig(yaml, join(dir, 'c.yaml'), plugins);
    expect(incrementalRefusals(config, plugins)).toEqual([
      'sinks[0] (bucket): the bucket sink does not say what the state should record for it (its plugin declares no stateTarget)',
    ]);
    await mkdir(join(dir, 'state'));
    const run = scheduledRun(config, {
      plugins,
      logger: silentLogger,
      signal: new AbortController().signal,
      redact: (t) => t,
      statePath: join(dir, 'state/qcs.json'),
    });
    await expect(run).rejects.toThrow(/cannot run with a state[\s\S]*declares no stateTarget/);
  });
});
