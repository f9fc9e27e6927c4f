import { execFileSync } from 'node:child_process';
import { chmod, link, mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AtomicFileWriter, OutputUnwritableError, removeLiveTempFilesSync, SinkError } from '../src/index.js';

async function written(path: string, text: string): Promise<AtomicFileWriter> {
  const file = await AtomicFileWriter.open(path);
  await file.write(text);
  await file.finish();
  return file;
}

/** Whether chattr +i works on this filesystem (ext4 as root does; tmpfs and overlay may not). */
function canMakeImmutable(dir: string): boolean {
  try {
    execFileSync('chattr', ['+i', dir], { stdio: 'ignore' });
    execFileSync('chattr', ['-i', dir], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

describe('AtomicFileWriter publishes undoably', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'qcs-publish-'));
  });
  afterEach(async () => {
    if (canMakeImmutable(dir)) execFileSync('chattr', ['-R', '-i', dir], { stdio: 'ignore' });
    await rm(dir, { recursive: true, force: true });
  });

  it('keeps the replaced file until rollback() puts it back, byte for byte and as the same file, leaving nothing else', async () => {
    const path = join(dir, 'images.jsonl');
    await writeFile(path, 'previous export\n');
    await chmod(path, 0o640);
    const before = await stat(path);
    const file = await written(path, 'new export\n');
    const result = await file.commit();
    expect(result.published).toBe('replaced');
    expect(file.published).toBe('replaced');
    expect(await readFile(path, 'utf8')).toBe('new export\n');
    const names = await readdir(dir);
    expect(names).toHaveLength(2);
    expect(names).toContainEqual(expect.stringMatching(new RegExp(`^\\.images\\.jsonl\\.${process.pid}-[0-9a-f]{12}\\.backup$`)));
    await file.rollback();
    expect(file.published).toBe('restored');
    expect(await readFile(path, 'utf8')).toBe('previous export\n');
    const after = await stat(path);
    expect([after.ino, after.mode, after.mtimeMs]).toEqual([before.ino, before.mode, before.mtimeMs]);
    expect(await readdir(dir)).toEqual(['images.jsonl']);
  });

  it('says "created" for a first output, and rollback() removes it, leaving the directory empty', async () => {
    const path = join(dir, 'images.csv');
    const file = await written(path, 'a,b\n');
    expect((await file.commit()).published).toBe('created');
    expect(await readdir(dir)).toEqual(['images.csv']);
    await file.rollback();
    expect(await readdir(dir)).toEqual([]);
  });

  it('settle() drops the backup and keeps the new output', async () => {
    const path = join(dir, 'images.jsonl');
    await writeFile(path, 'previous\n');
    const file = await written(path, 'new\n');
    await file.commit();
    await file.settle();
    expect(await readdir(dir)).toEqual(['images.jsonl']);
    expect(await readFile(path, 'utf8')).toBe('new\n');
    await expect(file.rollback()).resolves.toBeUndefined();
  });

  it('three outputs, the last rename fails (EPERM): the first two roll back byte for byte; the error is the rename, naming the .partial left', async (ctx) => {
    if (!canMakeImmutable(dir)) ctx.skip();
    const dirs = ['a', 'b', 'c'].map((n) => join(dir, n));
    const paths = dirs.map((d, i) => join(d, `out-${i}.jsonl`));
    for (const [i, d] of dirs.entries()) {
      await mkdir(d);
      // The third is a first output: with nothing to keep a backup of, the rename itself is what fails.
      if (i < 2) await writeFile(paths[i] as string, Buffer.from([0, 1, 2, 255, 10, i]));
    }
    const files = await Promise.all(paths.map((p, i) => written(p, `run 2, output ${i}\n`)));
    // The third directory turns immutable between prepare and publish: neither rename nor removal works there now.
    execFileSync('chattr', ['+i', dirs[2] as string]);
    const published = [];
    let failure: unknown;
    for (const file of files) {
      try {
        published.push(await file.commit());
      } catch (error) {
        failure = error;
        break;
      }
    }
    expect(published.map((p) => p.published)).toEqual(['replaced', 'replaced']);
    expect(failure).toBeInstanceOf(SinkError);
    const message = (failure as Error).message;
    expect(message).toMatch(/writing .*out-2\.jsonl failed: EPERM: operation not permitted, rename/);
    expect(message).toMatch(/and .*\/c\/\.out-2\.jsonl\.\d+-[0-9a-f]{12}\.partial \(EPERM\) could not be removed: remove it by hand/);
    for (const file of files.slice(0, 2)) await file.rollback();
    execFileSync('chattr', ['-i', dirs[2] as string]);
    for (const [i, d] of dirs.slice(0, 2).entries()) {
      expect(await readFile(paths[i] as string)).toEqual(Buffer.from([0, 1, 2, 255, 10, i]));
      expect(await readdir(d)).toEqual([`out-${i}.jsonl`]);
    }
    // What the failed rename could not remove is exactly the .partial its message names.
    expect(await readdir(dirs[2] as string)).toEqual([expect.stringMatching(/^\.out-2\.jsonl\.\d+-[0-9a-f]{12}\.partial$/)]);
  });

  it('a backup that cannot be made (a read-only or immutable directory) fails the publish before anything is replaced', async (ctx) => {
    if (!canMakeImmutable(dir)) ctx.skip();
    const path = join(dir, 'images.jsonl');
    await writeFile(path, 'previous\n');
    const file = await written(path, 'new\n');
    execFileSync('chattr', ['+i', dir]);
    const error = await file.commit().catch((e: unknown) => e);
    execFileSync('chattr', ['-i', dir]);
    expect((error as Error).message).toMatch(
      /cannot keep a backup of .*images\.jsonl before replacing it: EPERM.*; nothing was replaced; and .*\.partial \(EPERM\)/,
    );
    expect(await readFile(path, 'utf8')).toBe('previous\n');
  });

  it('finish() refuses a directory that became unwritable since open(), before anything is published, naming the .partial it cannot remove', async (ctx) => {
    if (!canMakeImmutable(dir)) ctx.skip();
    const path = join(dir, 'images.jsonl');
    await writeFile(path, 'previous\n');
    const file = await AtomicFileWriter.open(path);
    await file.write('new\n');
    execFileSync('chattr', ['+i', dir]);
    const error = await file.finish().catch((e: unknown) => e);
    execFileSync('chattr', ['-i', dir]);
    expect(error).toBeInstanceOf(OutputUnwritableError);
    expect((error as Error).message).toMatch(
      /cannot publish .*images\.jsonl: .* is not writable \(EPERM\); no output has been replaced.*; and .*\.partial \(EPERM\) could not/,
    );
    expect(await readFile(path, 'utf8')).toBe('previous\n');
  });

  it('a first-ever run whose last publish fails leaves no file at all after rollback', async () => {
    const paths = ['x.jsonl', 'y.csv', 'z.xlsx'].map((n) => join(dir, n));
    const files = await Promise.all(paths.map((p) => written(p, 'new\n')));
    // Something now stands where the last output goes, after prepare: a directory holding a file.
    await mkdir(paths[2] as string);
    await writeFile(join(paths[2] as string, 'keep'), 'x');
    await files[0]?.commit();
    await files[1]?.commit();
    await expect(files[2]?.commit()).rejects.toThrow(/z\.xlsx: it is a directory/);
    await files[1]?.rollback();
    await files[0]?.rollback();
    expect(await readdir(dir)).toEqual(['z.xlsx']);
    expect(await readdir(paths[2] as string)).toEqual(['keep']);
  });

  it('refuses a path the mount table lists as a mount point, at open() and at finish(), saying to mount the directory, and leaves nothing', async () => {
    const path = join(dir, 'images.xlsx');
    await writeFile(path, 'previous');
    const mountInfo = join(dir, 'mountinfo');
    const root = '22 1 254:0 / / rw,relatime - ext4 /dev/vda rw\n';
    const table = `${root}65 45 254:0 /tmp/images.xlsx ${path.replaceAll(' ', '\\040')} rw,relatime - ext4 /dev/vda rw\n`;
    const advice = /cannot replace .*images\.xlsx: it is a mount point.*mount the directory instead \(docker run -v \.\/out:\/data\)/;
    await writeFile(mountInfo, table);
    const refused = await AtomicFileWriter.open(path, { mountInfo }).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(OutputUnwritableError);
    expect((refused as Error).message).toMatch(advice);
    // Mounted after the run opened its file: prepare finds it, before anything is published.
    await writeFile(mountInfo, root);
    const file = await AtomicFileWriter.open(path, { mountInfo });
    await file.write('new');
    await writeFile(mountInfo, table);
    const error = await file.finish().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OutputUnwritableError);
    expect((error as Error).message).toMatch(advice);
    expect((await readdir(dir)).sort()).toEqual(['images.xlsx', 'mountinfo']);
    expect(await readFile(path, 'utf8')).toBe('previous');
  });

  it('an exit at once after publishing puts the replaced file back and removes a created one', async () => {
    const replaced = join(dir, 'replaced.jsonl');
    const created = join(dir, 'created.jsonl');
    await writeFile(replaced, 'previous\n');
    await (await written(replaced, 'new\n')).commit();
    await (await written(created, 'new\n')).commit();
    removeLiveTempFilesSync();
    expect(await readdir(dir)).toEqual(['replaced.jsonl']);
    expect(await readFile(replaced, 'utf8')).toBe('previous\n');
  });

  it('rollback() of a created output leaves alone a file that replaced it since', async () => {
    const path = join(dir, 'out.jsonl');
    const file = await written(path, 'ours\n');
    await file.commit();
    // Made before ours is removed, so it cannot be given the freed inode number.
    await writeFile(join(dir, 'other'), 'theirs\n');
    await rm(path);
    await link(join(dir, 'other'), path);
    await expect(file.rollback()).rejects.toThrow(/replaced by another file since; it is left as it is/);
    expect(await readFile(path, 'utf8')).toBe('theirs\n');
  });
});
