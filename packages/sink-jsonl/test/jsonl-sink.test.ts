import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Writable } from 'node:stream';
import { gunzipSync } from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import { OutputClosedError } from '@qcs-export/core';
import { fileSnapshot, makeRunContext, makeTestRecords, obstructPublish, runSinkContract, type SinkContractHarness } from '@qcs-export/sink-testkit';
import { createJsonlPlugin, jsonlSink } from '../src/index.js';

function parseLines(text: string): Array<{ sha: string } & Record<string, unknown>> {
  return text
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as { sha: string });
}

function fileHarness(name: string, file: string): SinkContractHarness {
  return {
    name,
    commit: jsonlSink.commit(jsonlSink.options.parse({ path: file })),
    // A JSON Lines file holds the record itself: every field comes back as JSON.
    expected: (record) => JSON.parse(JSON.stringify(record)) as { sha: string } & Record<string, unknown>,
    async setup() {
      const dir = await mkdtemp(join(tmpdir(), 'qcs-jsonl-'));
      const path = join(dir, file);
      const create = () => jsonlSink.create(jsonlSink.options.parse({ path }), makeRunContext({ baseDir: dir }));
      return {
        sink: create(),
        another: create,
        snapshot: () => fileSnapshot(dir),
        obstructPublish: () => obstructPublish(path),
        async readBack() {
          const raw = await readFile(path);
          return parseLines((file.endsWith('.gz') ? gunzipSync(raw) : raw).toString('utf8'));
        },
        leftovers: () => readdir(dir),
        teardown: () => rm(dir, { recursive: true, force: true }),
      };
    },
  };
}

runSinkContract(fileHarness('jsonl file', 'images.jsonl'));
runSinkContract(fileHarness('jsonl gzip file', 'images.jsonl.gz'));

describe('jsonl sink', () => {
  let dir: string | undefined;
  afterEach(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
    dir = undefined;
  });

  it('writes each record as one JSON line equal to the source record, hostile strings included', async () => {
    dir = await mkdtemp(join(tmpdir(), 'qcs-jsonl-'));
    const records = makeTestRecords(60, { hostile: true });
    const sink = jsonlSink.create(jsonlSink.options.parse({ path: 'out/x.jsonl' }), makeRunContext({ baseDir: dir }));
    await sink.open();
    await sink.write(records.slice(0, 30));
    await sink.write(records.slice(30));
    const summary = await sink.close();
    const text = await readFile(join(dir, 'out/x.jsonl'), 'utf8');
    expect(text.endsWith('\n')).toBe(true);
    expect(text.split('\n')).toHaveLength(61);
    expect(parseLines(text)).toEqual(JSON.parse(JSON.stringify(records)));
    expect(summary).toMatchObject({ type: 'jsonl', target: join(dir, 'out/x.jsonl'), records: 60, rejected: 0 });
    expect(summary.bytes).toBe(Buffer.byteLength(text));
  });

  it('expands {date} in the path with the run start time (UTC)', async () => {
    dir = await mkdtemp(join(tmpdir(), 'qcs-jsonl-'));
    const sink = jsonlSink.create(jsonlSink.options.parse({ path: 'images-{date}.jsonl' }), makeRunContext({ baseDir: dir }));
    await sink.open();
    const summary = await sink.close();
    expect(summary.target).toBe(join(dir, 'images-2026-11-22.jsonl'));
  });

  it('creates the file with mode 0600 by default', async () => {
    dir = await mkdtemp(join(tmpdir(), 'qcs-jsonl-'));
    const sink = jsonlSink.create(jsonlSink.options.parse({ path: 'a.jsonl' }), makeRunContext({ baseDir: dir }));
    await sink.open();
    await sink.close();
    const { stat } = await import('node:fs/promises');
    expect((await stat(join(dir, 'a.jsonl'))).mode & 0o777).toBe(0o600);
  });

  it('to stdout: waits for drain when the reader is slow (backpressure), and writes every line', async () => {
    const out = new PassThrough({ highWaterMark: 1024 });
    const chunks: string[] = [];
    const plugin = createJsonlPlugin({ stdout: out });
    const sink = plugin.create(plugin.options.parse({ path: '-' }), makeRunContext());
    await sink.open();
    let settled = false;
    const writing = sink.write(makeTestRecords(200)).then(() => (settled = true));
    await new Promise((r) => setTimeout(r, 30));
    expect(settled).toBe(false); // nobody read yet: the write is held back
    out.on('data', (c: Buffer) => chunks.push(c.toString()));
    await writing;
    const summary = await sink.close();
    expect(summary).toMatchObject({ target: 'stdout', records: 200 });
    expect(parseLines(chunks.join(''))).toHaveLength(200);
  });

  it('to stdout: a reader that goes away (EPIPE) ends the sink with an OutputClosedError', async () => {
    const broken = new Writable({
      highWaterMark: 16,
      write(_c, _e, cb) {
        cb(Object.assign(new Error('write EPIPE'), { code: 'EPIPE' }));
      },
    });
    const plugin = createJsonlPlugin({ stdout: broken });
    const sink = plugin.create(plugin.options.parse({ path: '-' }), makeRunContext());
    await sink.open();
    await expect(
      (async () => {
        for (let i = 0; i < 5; i++) await sink.write(makeTestRecords(50));
      })(),
    ).rejects.toThrow(/closed by the reader/);
    await expect(sink.write(makeTestRecords(1))).rejects.toBeInstanceOf(OutputClosedError);
  });

  it('rejects unknown options and a bad gzip level with messages naming them', () => {
    const bad = jsonlSink.options.safeParse({ path: 'x.jsonl', compress: true });
    expect(bad.success).toBe(false);
    expect(JSON.stringify(bad.error?.issues)).toMatch(/compress/);
    expect(jsonlSink.options.safeParse({ path: 'x.jsonl.gz', gzipLevel: 12 }).success).toBe(false);
  });

  it('check() refuses a path under a regular file (not a directory)', async () => {
    await expect(jsonlSink.check?.(jsonlSink.options.parse({ path: '/etc/hostname/x.jsonl' }), makeRunContext())).rejects.toMatchObject({
      code: 'QCS_OUTPUT_UNWRITABLE',
    });
  });
});
