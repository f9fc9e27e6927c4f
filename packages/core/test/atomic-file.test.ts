import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AtomicFileWriter, SinkError } from '../src/index.js';

describe('AtomicFileWriter', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'qcs-atomic-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('shows the file under its final name only after commit, with mode 0600', async () => {
    const file = await AtomicFileWriter.open(join(dir, 'a.txt'));
    await file.write('hello ');
    await file.write(Buffer.from('world'));
    expect(await readdir(dir)).toEqual([expect.stringMatching(new RegExp(`^\\.a\\.txt\\.${process.pid}-[0-9a-f]{12}\\.partial$`))]);
    const { path, bytes } = await file.commit();
    expect(path).toBe(join(dir, 'a.txt'));
    expect(bytes).toBe(11);
    expect(await readFile(path, 'utf8')).toBe('hello world');
    expect(await readdir(dir)).toEqual(['a.txt']);
  });

  it('commits what a library piped into its stream, even though the library ended the stream itself', async () => {
    const file = await AtomicFileWriter.open(join(dir, 'piped.bin'));
    await pipeline(Readable.from([Buffer.from('zip '), Buffer.from('bytes')]), file.stream);
    await file.commit();
    expect(await readFile(join(dir, 'piped.bin'), 'utf8')).toBe('zip bytes');
  });

  it('reports a failing stream through whenFailed() and leaves nothing behind on abort', async () => {
    const file = await AtomicFileWriter.open(join(dir, 'b.txt'));
    const failed = file.whenFailed();
    file.stream.destroy(new Error('EIO: disk went away'));
    await expect(failed).rejects.toThrow(SinkError);
    await expect(failed).rejects.toThrow(/writing .*b\.txt failed: EIO: disk went away/);
    expect(() => file.throwIfFailed()).toThrow(/EIO/);
    await expect(file.whenFailed()).rejects.toThrow(/EIO/);
    await file.abort();
    expect(await readdir(dir)).toEqual([]);
  });
});
