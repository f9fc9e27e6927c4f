import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

const DIST = join(dirname(fileURLToPath(import.meta.url)), '../dist/sink/atomic-file.js');

/**
 * Real mounts, made in a private mount namespace (unshare --mount) so that nothing outside the child process sees
 * them. Each case runs in a child that imports the built atomic file and prints what happened as JSON.
 */
const SCRIPT = `
import { execFileSync } from 'node:child_process';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
const { AtomicFileWriter } = await import(process.env.QCS_DIST);
const dir = process.env.QCS_DIR;
const mount = (...args) => execFileSync('mount', args);
const failure = (p) => p.then(() => 'resolved', (e) => e.constructor.name + ': ' + e.message);
const out = {};

// docker run -v ./host.xlsx:/data/images.xlsx: the output itself is a bind-mounted file, on the same filesystem.
await writeFile(join(dir, 'host.xlsx'), 'host file');
await writeFile(join(dir, 'images.xlsx'), 'previous');
const bound = await AtomicFileWriter.open(join(dir, 'images.xlsx'));
await bound.write('new');
mount('--bind', join(dir, 'host.xlsx'), join(dir, 'images.xlsx'));
out.bindFinish = await failure(bound.finish());
out.bindOpen = await failure(AtomicFileWriter.open(join(dir, 'images.xlsx')));
out.bindContent = await readFile(join(dir, 'images.xlsx'), 'utf8');
out.bindDir = (await readdir(dir)).sort();

// The output's directory is remounted read-only between prepare and publish.
const ro = join(dir, 'ro');
await mkdir(ro);
await writeFile(join(ro, 'kept.jsonl'), 'previous kept');
mount('--bind', ro, ro);
const created = await AtomicFileWriter.open(join(ro, 'created.jsonl'));
const replaced = await AtomicFileWriter.open(join(ro, 'kept.jsonl'));
for (const f of [created, replaced]) {
  await f.write('new');
  await f.finish();
}
mount('-o', 'remount,bind,ro', ro);
out.roCreate = await failure(created.commit());
out.roReplace = await failure(replaced.commit());
out.roKept = await readFile(join(ro, 'kept.jsonl'), 'utf8');
out.roDir = (await readdir(ro)).sort();

// ... or at prepare, where finish() checks the directory: the temporary file is closed first (a filesystem with a
// file open for writing cannot be remounted read-only), so the remount goes between the two.
mount('-o', 'remount,bind,rw', ro);
const late = await AtomicFileWriter.open(join(ro, 'late.jsonl'));
await late.write('new');
await new Promise((resolve) => { late.stream.end(); late.stream.once('close', resolve); });
mount('-o', 'remount,bind,ro', ro);
out.roFinish = await failure(late.finish());
console.log(JSON.stringify(out));
`;

function canUnshare(): boolean {
  return spawnSync('unshare', ['--mount', '--propagation', 'private', 'true']).status === 0;
}

describe('AtomicFileWriter on real mounts (private mount namespace)', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'qcs-mount-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('refuses a bind-mounted output at open and at prepare, and keeps the first error when a read-only remount also blocks the clean-up', async (ctx) => {
    if (!existsSync(DIST)) ctx.skip(); // the child imports the built file: pnpm turbo run build --filter=@qcs-export/core
    if (!canUnshare()) ctx.skip(); // needs root (or CAP_SYS_ADMIN) and unshare(1): not available here
    const stdout = execFileSync('unshare', ['--mount', '--propagation', 'private', process.execPath, '--input-type=module', '-e', SCRIPT], {
      env: { ...process.env, QCS_DIST: pathToFileURL(DIST).href, QCS_DIR: dir },
      encoding: 'utf8',
      timeout: 110_000, // a hang guard, inside the test's own
    });
    const out = JSON.parse(stdout) as Record<string, string | string[]>;
    const partial = (name: string) => expect.stringMatching(new RegExp(`^\\.${name.replace('.', '\\.')}\\.\\d+-[0-9a-f]{12}\\.partial$`));

    expect(out.bindFinish).toMatch(/^OutputUnwritableError: cannot replace .*images\.xlsx: it is a mount point.*mount the directory instead/);
    expect(out.bindOpen).toMatch(/^OutputUnwritableError: cannot replace .*images\.xlsx: it is a mount point/);
    expect(out.bindContent).toBe('host file');
    expect(out.bindDir).toEqual(['host.xlsx', 'images.xlsx']);

    expect(out.roCreate).toMatch(/^SinkError: writing .*created\.jsonl failed: EROFS: read-only file system, rename/);
    expect(out.roCreate).toMatch(/and .*\/ro\/\.created\.jsonl\.\d+-[0-9a-f]{12}\.partial \(EROFS\) could not be removed: remove it by hand/);
    expect(out.roReplace).toMatch(
      /^SinkError: cannot keep a backup of .*kept\.jsonl before replacing it: EROFS.*nothing was replaced; and .*\.partial \(EROFS\)/,
    );
    expect(out.roKept).toBe('previous kept');
    // Exactly the two temporary files the messages name are left, and the previous output.
    expect(out.roDir).toEqual([partial('created.jsonl'), partial('kept.jsonl'), 'kept.jsonl']);

    expect(out.roFinish).toMatch(
      /^OutputUnwritableError: cannot publish .*late\.jsonl: .*\/ro is not writable \(EROFS\).*; and .*\.late\.jsonl\.\d+-[0-9a-f]{12}\.partial \(EROFS\)/,
    );
  });
});
