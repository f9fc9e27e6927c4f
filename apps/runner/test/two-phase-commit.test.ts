import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { defineSinkPlugin, SinkError, silentLogger, type Logger, type SinkCommit, type SinkPlugin, type AnySinkPlugin } from '@qcs-export/core';
import { parseConfig } from '../src/config/load.js';
import { sinkPlugins } from '../src/registry.js';
import { runExport } from '../src/run/export.js';

/**
 * A sink that takes every batch and fails at the end of the run, as a disk that fills at the last flush or an
 * Elasticsearch refresh answered 503 would.
 */
function failingAtEnd(calls: string[], commit: SinkCommit = 'atomic'): SinkPlugin<Record<string, never>> {
  return defineSinkPlugin({
    type: 'fails-at-end',
    description: 'test sink',
    options: z.strictObject({}),
    commit: () => commit,
    create: () => ({
      open: async () => void calls.push('open'),
      write: async () => undefined,
      prepare: async () => {
        calls.push('prepare');
        throw new SinkError('no space left on device at the final flush');
      },
      close: async () => {
        calls.push('close');
        return { type: 'fails-at-end', target: 'nowhere', records: 0, rejected: 0 };
      },
      abort: async () => void calls.push('abort'),
    }),
  }) as SinkPlugin<Record<string, never>>;
}

describe('two-phase commit: no sink publishes unless every sink finished (issue 9, point 11)', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'qcs-2pc-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const config = (plugins: ReadonlyMap<string, AnySinkPlugin>, extraSink: string) =>
    parseConfig(
      `source:\n  simulator: { images: 300 }\nsinks:\n  - type: jsonl\n    path: out/images.jsonl\n  - type: csv\n    path: out/images.csv\n${extraSink}`,
      join(dir, 'config.yaml'),
      plugins,
    );

  it('a sink failing at the end leaves the previous files of the sinks that finished untouched, and no temporary file', async () => {
    await mkdir(join(dir, 'out'));
    await writeFile(join(dir, 'out/images.jsonl'), 'previous good export\n');
    await writeFile(join(dir, 'out/images.csv'), 'previous,good\n');
    const calls: string[] = [];
    const plugins = new Map([...sinkPlugins, ['fails-at-end', failingAtEnd(calls)]]);
    const run = runExport(config(plugins, '  - type: fails-at-end\n'), { plugins, logger: silentLogger, signal: new AbortController().signal, baseDir: dir });
    await expect(run).rejects.toThrow(/no space left on device at the final flush/);
    expect(calls).toEqual(['open', 'prepare', 'abort']);
    expect(await readFile(join(dir, 'out/images.jsonl'), 'utf8')).toBe('previous good export\n');
    expect(await readFile(join(dir, 'out/images.csv'), 'utf8')).toBe('previous,good\n');
    expect((await readdir(join(dir, 'out'))).sort()).toEqual(['images.csv', 'images.jsonl']);
  });

  it('when every sink finishes, each replaces its previous file', async () => {
    await mkdir(join(dir, 'out'));
    await writeFile(join(dir, 'out/images.jsonl'), 'previous good export\n');
    const result = await runExport(config(sinkPlugins, ''), { plugins: sinkPlugins, logger: silentLogger, signal: new AbortController().signal, baseDir: dir });
    expect(result.records).toBe(300);
    expect((await readFile(join(dir, 'out/images.jsonl'), 'utf8')).trim().split('\n')).toHaveLength(300);
    expect((await readdir(join(dir, 'out'))).sort()).toEqual(['images.csv', 'images.jsonl']);
  });

  it('a failed run warns that an in-place sink keeps what it sent, and says nothing of atomic ones', async () => {
    const warnings = async (commit: SinkCommit) => {
      const warned: string[] = [];
      const logger: Logger = { ...silentLogger, warn: (m) => void warned.push(m) };
      const plugins = new Map([...sinkPlugins, ['fails-at-end', failingAtEnd([], commit)]]);
      await expect(
        runExport(config(plugins, '  - type: fails-at-end\n'), { plugins, logger, signal: new AbortController().signal, baseDir: dir }),
      ).rejects.toThrow(/no space left/);
      return warned.filter((w) => /writes as it goes/.test(w));
    };
    expect(await warnings('in-place')).toEqual([
      'sink "fails-at-end" (fails-at-end) writes as it goes: what it sent before the failure stays there; re-run the export to complete it',
    ]);
    expect(await warnings('atomic')).toEqual([]);
  });
});
