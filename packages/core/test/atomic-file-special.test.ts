import { execFileSync } from 'node:child_process';
import { lstat, mkdtemp, readdir, readFile, readlink, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AtomicFileWriter, OutputUnwritableError } from '../src/index.js';

/** An output replaces a regular file or creates one; it never replaces a device, a FIFO, a socket or a link. */
describe('AtomicFileWriter refuses special files', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'qcs-special-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('refuses /dev/null (a device), which stays a device, and points to path "-" for stdout', async () => {
    const error = await AtomicFileWriter.open('/dev/null').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OutputUnwritableError);
    expect((error as Error).message).toMatch(/\/dev\/null: it is a device, not a regular file.*path: "-"/);
    expect((await lstat('/dev/null')).isCharacterDevice()).toBe(true);
  });

  it('refuses a FIFO, which stays a FIFO with no temporary file beside it', async () => {
    const fifo = join(dir, 'pipe');
    execFileSync('mkfifo', [fifo]);
    await expect(AtomicFileWriter.open(fifo)).rejects.toThrow(/it is a FIFO \(named pipe\)/);
    expect((await lstat(fifo)).isFIFO()).toBe(true);
    expect(await readdir(dir)).toEqual(['pipe']);
  });

  it('refuses a symbolic link, leaving the link and its target as they were', async () => {
    const target = join(dir, 'real.jsonl');
    const link = join(dir, 'link.jsonl');
    await writeFile(target, 'previous export\n');
    await symlink(target, link);
    await expect(AtomicFileWriter.open(link)).rejects.toThrow(/symbolic link.*name the file it points to/);
    expect(await readlink(link)).toBe(target);
    expect(await readFile(target, 'utf8')).toBe('previous export\n');
  });

  it('refuses at commit a path that became a link after open, and removes its temporary file', async () => {
    const path = join(dir, 'out.jsonl');
    const file = await AtomicFileWriter.open(path);
    await file.write('new\n');
    await writeFile(join(dir, 'elsewhere'), 'kept\n');
    await symlink(join(dir, 'elsewhere'), path);
    await expect(file.commit()).rejects.toThrow(/symbolic link/);
    expect((await lstat(path)).isSymbolicLink()).toBe(true);
    expect((await readdir(dir)).sort()).toEqual(['elsewhere', 'out.jsonl']);
  });

  it('still replaces an existing regular file', async () => {
    const path = join(dir, 'out.jsonl');
    await writeFile(path, 'old\n');
    const file = await AtomicFileWriter.open(path);
    await file.write('new\n');
    await file.commit();
    expect(await readFile(path, 'utf8')).toBe('new\n');
  });
});
