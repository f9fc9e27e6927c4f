import { spawnSync } from 'node:child_process';
import { copyFile, link, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { sweepStaleTempFiles } from '../src/index.js';

/** The pid of a process that has already exited. */
function deadPid(): number {
  const child = spawnSync(process.execPath, ['-e', 'console.log(process.pid)'], { encoding: 'utf8' });
  return Number(child.stdout.trim());
}

/** What a run killed between publishing and settling leaves: the previous output under a backup name. */
describe('sweepStaleTempFiles and the backups a crashed run left', () => {
  let dir: string;
  let path: string;
  let backup: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'qcs-sweep-'));
    path = join(dir, 'images.jsonl');
    backup = join(dir, `.images.jsonl.${deadPid()}-0123456789ab.backup`);
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('removes a backup that is a second name of the output still in place (the run died before its rename)', async () => {
    await writeFile(path, 'previous\n');
    await link(path, backup);
    expect(await sweepStaleTempFiles(path, { dryRun: true })).toMatchObject({ removed: [backup], restored: [], kept: [] });
    expect(await readdir(dir)).toHaveLength(2);
    expect(await sweepStaleTempFiles(path)).toMatchObject({ removed: [backup], restored: [], kept: [] });
    expect(await readdir(dir)).toEqual(['images.jsonl']);
    expect(await readFile(path, 'utf8')).toBe('previous\n');
  });

  it('removes a copied backup with the same bytes as the output', async () => {
    await writeFile(path, 'previous\n');
    await copyFile(path, backup);
    expect((await sweepStaleTempFiles(path)).removed).toEqual([backup]);
    expect(await readdir(dir)).toEqual(['images.jsonl']);
  });

  it('puts a backup back when the output is gone', async () => {
    await writeFile(backup, 'previous\n');
    expect((await sweepStaleTempFiles(path, { dryRun: true })).restored).toEqual([{ backup, path }]);
    expect(await readdir(dir)).toEqual([expect.stringMatching(/\.backup$/)]);
    expect((await sweepStaleTempFiles(path)).restored).toEqual([{ backup, path }]);
    expect(await readdir(dir)).toEqual(['images.jsonl']);
    expect(await readFile(path, 'utf8')).toBe('previous\n');
  });

  it('keeps and reports a backup of an output the crashed run replaced: it is the only copy of the previous one', async () => {
    await writeFile(path, 'the crashed run’s output\n');
    await writeFile(backup, 'previous\n');
    const found = await sweepStaleTempFiles(path);
    expect(found.kept).toEqual([{ backup, path, pid: expect.any(Number) }]);
    expect(found.removed).toEqual([]);
    expect(await readFile(backup, 'utf8')).toBe('previous\n');
    expect(await readFile(path, 'utf8')).toBe('the crashed run’s output\n');
  });

  it('leaves alone the files of another output whose name starts with this one (images.jsonl.gz beside images.jsonl)', async () => {
    const others = [`.images.jsonl.gz.${deadPid()}-0123456789ab.backup`, `.images.jsonl.gz.${deadPid()}-0123456789ab.partial`];
    for (const name of others) await writeFile(join(dir, name), 'the gz output\n');
    expect(await sweepStaleTempFiles(path)).toEqual({ removed: [], inUse: [], restored: [], kept: [] });
    expect((await readdir(dir)).sort()).toEqual(others.sort());
  });

  it('reports, and leaves alone, a backup of a process that is still running', async () => {
    const live = join(dir, `.images.jsonl.${process.pid}-aaaaaaaaaaaa.backup`);
    await writeFile(live, 'previous\n');
    expect((await sweepStaleTempFiles(path)).inUse).toEqual([{ path: live, pid: process.pid }]);
    expect(await readdir(dir)).toEqual([expect.stringMatching(/\.backup$/)]);
  });
});
