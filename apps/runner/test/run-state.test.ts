import { access, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { silentLogger, StateInvalidError } from '@qcs-export/core';
import { parseConfig } from '../src/config/load.js';
import { sinkPlugins } from '../src/registry.js';
import type { RunResult } from '../src/run/result.js';
import { openRunState } from '../src/run/run-state.js';

describe('openRunState: the state of a run, locked and planned before the export and recorded after it', () => {
  let dir: string;
  let statePath: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'qcs-run-state-'));
    statePath = join(dir, 'state.json');
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const config = () =>
    parseConfig(
      `source:\n  simulator: { images: 10 }\nsinks:\n  - type: jsonl\n    path: out/images-{datetime}.jsonl\nrun:\n  state: ${statePath}\n`,
      join(dir, 'c.yaml'),
      sinkPlugins,
    );
  const options = { fullRefresh: false, noStateUpdate: false, logger: silentLogger };
  const exists = (path: string) =>
    access(path).then(
      () => true,
      () => false,
    );
  const result = (rejected: number) => ({ rejected }) as RunResult;

  it('without a state: a full run through the overlap filter, and record() writes the state with the identity the plugins declare', async () => {
    const state = await openRunState(config(), sinkPlugins, statePath, options);
    expect(state.read.updatedSince).toBeUndefined();
    expect(state.read.overlap).toBeDefined();
    expect(state.report).toMatchObject({ mode: 'full', updated: false });
    expect(await exists(`${statePath}.lock`)).toBe(true);
    await state.record(result(0), { runId: 'run-1', startedAt: new Date() });
    await state.release();
    expect(await exists(`${statePath}.lock`)).toBe(false);
    const written = JSON.parse(await readFile(statePath, 'utf8'));
    expect(written.sinks).toEqual([{ name: 'jsonl', type: 'jsonl', records: 'images', target: 'out/images-{datetime}.jsonl' }]);
    expect(written.lastRun).toMatchObject({ runId: 'run-1', mode: 'full' });
    expect(state.report.updated).toBe(true);
  });

  it('keeps the state when a sink rejected records, or with --no-state-update', async () => {
    const kept = await openRunState(config(), sinkPlugins, statePath, options);
    await kept.record(result(1), { runId: 'run-1', startedAt: new Date() });
    await kept.release();
    const left = await openRunState(config(), sinkPlugins, statePath, { ...options, noStateUpdate: true });
    await left.record(result(0), { runId: 'run-2', startedAt: new Date() });
    await left.release();
    expect(await exists(statePath)).toBe(false);
    expect([kept.report.updated, left.report.updated]).toEqual([false, false]);
  });

  it('releases the lock when the state cannot be used, so the next run is not locked out', async () => {
    await writeFile(statePath, '{"stateVersion": 1, "torn');
    await expect(openRunState(config(), sinkPlugins, statePath, options)).rejects.toThrow(StateInvalidError);
    expect(await exists(`${statePath}.lock`)).toBe(false);
  });
});
