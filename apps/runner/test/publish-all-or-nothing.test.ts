import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { defineSinkPlugin, LifecycleSink, SinkError, silentLogger, type AnySinkPlugin, type Logger, type SinkCommit, type SinkPlugin } from '@qcs-export/core';
import { parseConfig } from '../src/config/load.js';
import { sinkPlugins } from '../src/registry.js';
import { runExport, type RunTrace } from '../src/run/export.js';
import { scheduledRun } from '../src/run/scheduled-run.js';

type Behaviour = 'fails-to-publish' | 'loses-one' | 'fails-to-open' | 'accounts';

/**
 * A sink standing for a destination at the edge of trust: one whose publish fails after the others published (a
 * bind-mounted file's rename answering EBUSY), one that says it wrote a record fewer than it was given (a proxy that
 * lost a bulk answer), one refused at open. It counts what it is given, as every sink must.
 */
function edgeSink(behaviour: Behaviour, calls: string[], commit: SinkCommit = 'atomic'): SinkPlugin<Record<string, never>> {
  return defineSinkPlugin({
    type: 'edge',
    description: 'test sink',
    options: z.strictObject({}),
    commit: () => commit,
    create: () => {
      let given = 0;
      return {
        open: async () => {
          calls.push('open');
          if (behaviour === 'fails-to-open') throw new SinkError('the destination refused the connection');
        },
        write: async (batch) => {
          given += batch.length;
        },
        prepare: async () => void calls.push('prepare'),
        close: async () => {
          calls.push('close');
          if (behaviour === 'fails-to-publish') throw new SinkError('rename failed: EBUSY: resource busy or locked');
          const records = behaviour === 'loses-one' ? given - 1 : given;
          return { type: 'edge', target: 'the edge', records, rejected: 0, delivered: given, published: commit === 'atomic' ? 'replaced' : 'incremental' };
        },
        abort: async () => void calls.push('abort'),
      };
    },
  }) as SinkPlugin<Record<string, never>>;
}

describe('publish is all or nothing, and every sink accounts for what it was given (issue 17)', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'qcs-publish-'));
    await mkdir(join(dir, 'out'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const config = (plugins: ReadonlyMap<string, AnySinkPlugin>, last = '  - type: edge\n') =>
    parseConfig(
      `source:\n  simulator: { images: 300 }\nsinks:\n  - type: jsonl\n    path: out/images.jsonl\n  - type: csv\n    path: out/images.csv\n${last}`,
      join(dir, 'config.yaml'),
      plugins,
    );
  const previous = async () => {
    await writeFile(join(dir, 'out/images.jsonl'), 'previous good export\n');
    await writeFile(join(dir, 'out/images.csv'), 'previous,good\n');
  };
  const expectPreviousOutputs = async () => {
    expect(await readFile(join(dir, 'out/images.jsonl'), 'utf8')).toBe('previous good export\n');
    expect(await readFile(join(dir, 'out/images.csv'), 'utf8')).toBe('previous,good\n');
    // No temporary file, no backup: only what was there before.
    expect((await readdir(join(dir, 'out'))).sort()).toEqual(['images.csv', 'images.jsonl']);
  };

  it('the last sink failing to publish puts back the files the first two had already replaced, byte for byte', async () => {
    await previous();
    const calls: string[] = [];
    const plugins = new Map([...sinkPlugins, ['edge', edgeSink('fails-to-publish', calls)]]);
    const trace: RunTrace = { runId: 'r1', sinkSummaries: [], committed: false };
    const run = runExport(config(plugins), { plugins, logger: silentLogger, signal: new AbortController().signal, baseDir: dir, trace });
    await expect(run).rejects.toMatchObject({ code: 'QCS_SINK_FAILED', message: expect.stringMatching(/EBUSY/) });
    await expectPreviousOutputs();
    expect(trace.committed).toBe(false);
    expect(trace.sinkSummaries.map((s) => [s.name, s.published])).toEqual([
      ['jsonl', 'restored'],
      ['csv', 'restored'],
    ]);
  });

  it('a first run whose last sink fails to publish leaves no file at all', async () => {
    const plugins = new Map([...sinkPlugins, ['edge', edgeSink('fails-to-publish', [])]]);
    const run = runExport(config(plugins), { plugins, logger: silentLogger, signal: new AbortController().signal, baseDir: dir });
    await expect(run).rejects.toThrow(/EBUSY/);
    expect(await readdir(join(dir, 'out'))).toEqual([]);
  });

  it('a sink that reports fewer records than it was given fails the run (QCS_SINK_INCOMPLETE) with the numbers, and nothing is replaced', async () => {
    await previous();
    const plugins = new Map([...sinkPlugins, ['edge', edgeSink('loses-one', [])]]);
    const run = runExport(config(plugins), { plugins, logger: silentLogger, signal: new AbortController().signal, baseDir: dir });
    await expect(run).rejects.toMatchObject({
      code: 'QCS_SINK_INCOMPLETE',
      message: expect.stringMatching(/sink "edge" \(edge → the edge\) was given 300 records and reports 299 written \+ 0 rejected: 1 unaccounted for/),
    });
    await expectPreviousOutputs();
  });

  it('every built-in file sink reports what it was given, and a complete run accounts for all of it', async () => {
    const plugins = new Map([...sinkPlugins, ['edge', edgeSink('accounts', [])]]);
    const result = await runExport(config(plugins), { plugins, logger: silentLogger, signal: new AbortController().signal, baseDir: dir });
    expect(result.sinks.map((s) => [s.type, s.delivered, s.records, s.published])).toEqual([
      ['jsonl', 300, 300, 'created'],
      ['csv', 300, 300, 'created'],
      ['edge', 300, 300, 'replaced'],
    ]);
    expect((await readdir(join(dir, 'out'))).sort()).toEqual(['images.csv', 'images.jsonl']);
  });

  it('the manifest of a rolled-back run says which outputs were put back and that none was committed', async () => {
    await previous();
    const plugins = new Map([...sinkPlugins, ['edge', edgeSink('fails-to-publish', [])]]);
    const manifestPath = join(dir, 'manifest.json');
    await expect(
      scheduledRun(config(plugins), { plugins, logger: silentLogger, signal: new AbortController().signal, manifestPath, redact: (t) => t }),
    ).rejects.toThrow(/EBUSY/);
    const manifest = JSON.parse(await readFile(manifestPath, 'utf8')) as {
      outcome: string;
      sinks: Array<{ name: string; committed: boolean; published: string; files: unknown[] }>;
    };
    expect(manifest.outcome).toBe('failed');
    expect(manifest.sinks.map((s) => [s.name, s.committed, s.published, s.files.length])).toEqual([
      ['jsonl', false, 'restored', 0],
      ['csv', false, 'restored', 0],
      ['edge', false, 'not published', 0],
    ]);
    await expectPreviousOutputs();
  });

  it('a sink refused at open does not warn that what it sent stays there: it sent nothing', async () => {
    const warned: string[] = [];
    const logger: Logger = { ...silentLogger, warn: (m) => void warned.push(m) };
    const calls: string[] = [];
    const plugins = new Map([...sinkPlugins, ['edge', edgeSink('fails-to-open', calls, 'in-place')]]);
    await expect(runExport(config(plugins), { plugins, logger, signal: new AbortController().signal, baseDir: dir })).rejects.toThrow(/refused the connection/);
    expect(calls).toEqual(['open', 'abort']);
    expect(warned.filter((w) => /writes as it goes/.test(w))).toEqual([]);
    expect(await readdir(join(dir, 'out'))).toEqual([]);
  });

  it('a sink failing at open ends the run only once a sink still opening has removed what it was creating', async () => {
    const calls: string[] = [];
    // Creates its temporary file a little after the other sink has failed, as a file on a slow disk or an index would.
    class SlowOpening extends LifecycleSink {
      constructor() {
        super('the slow sink');
      }
      protected async openTarget() {
        await new Promise((r) => setTimeout(r, 50));
        await writeFile(join(dir, 'out/slow.tmp'), '');
        calls.push('created');
      }
      protected async writeBatch() {}
      protected async finishTarget() {}
      protected async publishTarget() {
        return { type: 'slow', target: 'slow', records: 0, rejected: 0 };
      }
      protected async abortTarget() {
        await rm(join(dir, 'out/slow.tmp'), { force: true });
        calls.push('removed');
      }
    }
    const slow = defineSinkPlugin({
      type: 'slow',
      description: 'test sink',
      options: z.strictObject({}),
      commit: () => 'atomic',
      create: () => new SlowOpening(),
    }) as SinkPlugin<Record<string, never>>;
    const plugins = new Map([...sinkPlugins, ['slow', slow], ['edge', edgeSink('fails-to-open', [], 'in-place')]]);
    const run = runExport(config(plugins, '  - type: slow\n  - type: edge\n'), {
      plugins,
      logger: silentLogger,
      signal: new AbortController().signal,
      baseDir: dir,
    });
    await expect(run).rejects.toThrow(/refused the connection/);
    // A process that exits right after the run leaves nothing behind.
    expect(calls).toEqual(['created', 'removed']);
    expect(await readdir(join(dir, 'out'))).toEqual([]);
  });
});

describe('an interrupt while the sinks publish (issue 17)', () => {
  it('rolls back the outputs already replaced, and the run ends as interrupted', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'qcs-publish-signal-'));
    try {
      await mkdir(join(dir, 'out'));
      await writeFile(join(dir, 'out/images.jsonl'), 'previous good export\n');
      const controller = new AbortController();
      // A sink that takes its time to publish, during which the signal comes (as SIGTERM from a pod's deadline).
      const slow = defineSinkPlugin({
        type: 'slow',
        description: 'test sink',
        options: z.strictObject({}),
        commit: () => 'atomic',
        create: () => {
          let given = 0;
          return {
            open: async () => undefined,
            write: async (batch) => {
              given += batch.length;
            },
            close: async () => {
              controller.abort();
              return { type: 'slow', target: 'slow', records: given, rejected: 0, delivered: given, published: 'created' };
            },
            abort: async () => undefined,
          };
        },
      }) as SinkPlugin<Record<string, never>>;
      const plugins = new Map([...sinkPlugins, ['slow', slow]]);
      const config = parseConfig(
        'source:\n  simulator: { images: 50 }\nsinks:\n  - type: jsonl\n    path: out/images.jsonl\n  - type: slow\n  - type: csv\n    path: out/images.csv\n',
        join(dir, 'config.yaml'),
        plugins,
      );
      await expect(runExport(config, { plugins, logger: silentLogger, signal: controller.signal, baseDir: dir })).rejects.toMatchObject({
        code: 'QCS_ABORTED',
      });
      expect(await readFile(join(dir, 'out/images.jsonl'), 'utf8')).toBe('previous good export\n');
      expect(await readdir(join(dir, 'out'))).toEqual(['images.jsonl']);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
