import { existsSync, readFileSync } from 'node:fs';
import { lstat, mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, delimiter, dirname, isAbsolute, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Captured, spawnCaptured } from './spawn-captured.js';

// `pnpm pack:cli` (scripts/pack-cli.mjs) makes the npm package people install: the bundle and nothing to install
// beside it. This runs the script as `pnpm pack:cli` does (after the build), installs the tarball with npm into a
// temporary global prefix with --offline (a package with no dependencies needs no registry), and runs the installed
// `qcs-export` through its bin link, as a shell would, against the embedded simulator.

const REPO = fileURLToPath(new URL('../../../', import.meta.url)).replace(/[\\/]$/, '');
const { version } = JSON.parse(readFileSync(join(REPO, 'apps/runner/package.json'), 'utf8')) as { version: string };
const repoPackage = JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as { license: string; engines: { node: string } };
const IMAGES = 60;

/**
 * Runs a command with this environment minus pnpm's npm_* variables (npm would take them for its own settings), the
 * node running the tests first on PATH (the bin link's `#!/usr/bin/env node` finds it there) and an empty npm user
 * config and cache of the test's own, so that nothing of this machine's npm setup takes part.
 */
function run(command: string, args: string[], cwd: string): Promise<Captured> {
  const env: NodeJS.ProcessEnv = Object.fromEntries(Object.entries(process.env).filter(([key]) => !/^npm_/i.test(key)));
  env['PATH'] = [dirname(process.execPath), process.env['PATH']].join(delimiter);
  env['npm_config_userconfig'] = join(work, 'npmrc');
  env['npm_config_cache'] = join(work, 'npm-cache');
  delete env['NODE_OPTIONS'];
  return spawnCaptured(command, args, { cwd, env });
}

let work = '';
let packLog = '';
let tarball = '';
let prefix = '';
/** Where npm put the package: PREFIX/lib/node_modules/qcs-export. */
let installed = '';
/** The command as a shell finds it: PREFIX/bin/qcs-export, the link npm made. */
let command = '';

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'qcs-pack-'));
  await writeFile(join(work, 'npmrc'), '');
  const packed = await run(process.execPath, [join(REPO, 'scripts/pack-cli.mjs'), '--pack-destination', join(work, 'dist')], REPO);
  if (packed.code !== 0) throw new Error(`scripts/pack-cli.mjs exited ${packed.code}:\n${packed.stderr}${packed.stdout}`);
  packLog = packed.stdout;
  tarball = packed.stdout.trimEnd().split('\n').at(-1) ?? '';

  prefix = join(work, 'prefix');
  const install = await run('npm', ['install', '--global', '--prefix', prefix, '--offline', '--no-audit', '--no-fund', tarball], work);
  if (install.code !== 0) throw new Error(`npm install -g exited ${install.code}:\n${install.stderr}${install.stdout}`);
  installed = join(prefix, 'lib', 'node_modules', 'qcs-export');
  command = join(prefix, 'bin', 'qcs-export');
}, 180_000);

afterAll(async () => {
  if (work) await rm(work, { recursive: true, force: true });
});

describe('the npm package (pnpm pack:cli)', () => {
  it("prints the tarball's absolute path as its last line, and its size", async () => {
    expect(isAbsolute(tarball)).toBe(true);
    expect(tarball).toBe(join(work, 'dist', `qcs-export-${version}.tgz`));
    expect((await stat(tarball)).size).toBeGreaterThan(0);
    expect(packLog).toMatch(new RegExp(`qcs-export-${version.replaceAll('.', '\\.')}\\.tgz: [\\d.]+ MiB \\(\\d+ bytes`));
  });

  it('installs as one package with no dependencies: the bundle, the README, the licence and the config schema', async () => {
    const manifest = JSON.parse(await readFile(join(installed, 'package.json'), 'utf8')) as Record<string, unknown>;
    expect(manifest).toMatchObject({
      name: 'qcs-export',
      version,
      license: repoPackage.license,
      bin: { 'qcs-export': 'qcs-export.mjs' },
      engines: { node: repoPackage.engines.node },
      files: ['qcs-export.mjs', 'config.schema.json'],
    });
    for (const key of ['dependencies', 'optionalDependencies', 'peerDependencies', 'bundleDependencies', 'bundledDependencies', 'scripts']) {
      expect(manifest, key).not.toHaveProperty(key);
    }
    // Nothing else was installed, beside it or under it.
    expect(await readdir(join(prefix, 'lib', 'node_modules'))).toEqual(['qcs-export']);
    expect((await readdir(installed)).sort()).toEqual(['LICENSE', 'README.md', 'config.schema.json', 'package.json', 'qcs-export.mjs']);
    expect(await readFile(join(installed, 'README.md'), 'utf8')).toBe(await readFile(join(REPO, 'README.md'), 'utf8'));
    expect(await readFile(join(installed, 'LICENSE'), 'utf8')).toBe(await readFile(join(REPO, 'LICENSE'), 'utf8'));
    expect(await readFile(join(installed, 'config.schema.json'), 'utf8')).toBe(await readFile(join(REPO, 'examples/config.schema.json'), 'utf8'));
  });

  it('links an executable `qcs-export` that starts node itself and prints the version', async () => {
    expect((await lstat(command)).isSymbolicLink()).toBe(true);
    const bin = join(installed, 'qcs-export.mjs');
    expect((await stat(bin)).mode & 0o111).not.toBe(0);
    expect((await readFile(bin, 'utf8')).startsWith('#!/usr/bin/env node\n')).toBe(true);
    expect(await run(command, ['--version'], work)).toEqual({ code: 0, stdout: `${version}\n`, stderr: '' });
  });

  it('exports the embedded simulator to a JSON Lines file: as many lines as the summary counts, exit 0', async () => {
    const dir = join(work, 'run');
    await mkdir(dir);
    await writeFile(
      join(dir, 'export.yaml'),
      `source:\n  simulator: { images: ${IMAGES}, seed: 1 }\n  pageSize: 25\nsinks:\n  - type: jsonl\n    path: out/images.jsonl\n`,
    );
    const r = await run(command, ['run', '-q', '--json', '-c', 'export.yaml'], dir);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toBe('');
    const summary = JSON.parse(r.stdout) as { exitCode: number; records: number; sinks: Array<{ type: string; records: number }> };
    const lines = (await readFile(join(dir, 'out/images.jsonl'), 'utf8')).split('\n').filter((l) => l !== '');
    expect(summary.exitCode).toBe(0);
    expect(summary.records).toBe(IMAGES);
    expect(lines).toHaveLength(summary.records);
    expect(summary.sinks.map((s) => [s.type, s.records])).toEqual([['jsonl', lines.length]]);
    expect(new Set(lines.map((l) => (JSON.parse(l) as { sha: string }).sha)).size).toBe(IMAGES);
  });

  it('lives with a new user: completion for the shell, its config found without -c, the plan before the first run', async () => {
    const completion = await run(command, ['completion', 'bash'], work);
    expect(completion.code, completion.stderr).toBe(0);
    await writeFile(join(work, 'completion.bash'), completion.stdout);
    expect(await run('bash', ['-n', join(work, 'completion.bash')], work)).toMatchObject({ code: 0 });
    const dir = join(work, 'nightly');
    await mkdir(dir);
    await writeFile(join(dir, 'qcs-export.yaml'), `source:\n  simulator: { images: 7 }\nsinks:\n  - type: csv\n    path: out/images.csv\n`);
    const plan = await run(command, ['run', '--dry-run'], dir);
    expect(plan.code, plan.stderr).toBe(0);
    expect(plan.stdout).toContain(`plan of ${join(dir, 'qcs-export.yaml')} (found in the working directory)`);
    expect(plan.stdout).toContain(`csv: images → path ${join(dir, 'out/images.csv')} (atomic)`);
    expect(existsSync(join(dir, 'out'))).toBe(false);
    const exported = await run(command, ['run', '--log-format', 'json'], dir);
    expect(exported.code, exported.stderr).toBe(0);
    const lines = exported.stderr
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { message: string });
    expect(lines[0]?.message).toBe('config: qcs-export.yaml (found in the working directory)');
    expect((await readFile(join(dir, 'out/images.csv'), 'utf8')).trim().split('\n')).toHaveLength(8);
  });

  it("the README's Install section names this version's tarball", async () => {
    const readme = await readFile(join(REPO, 'README.md'), 'utf8');
    const install = /^## Install\n([\s\S]*?)^## /m.exec(readme)?.[1] ?? '';
    expect(install).toContain('pnpm pack:cli');
    expect(install).toContain(`npm install -g ./dist/qcs-export-${version}.tgz`);
    expect(install).toContain(`npx ./dist/qcs-export-${version}.tgz --version`);
  });

  it('runs with npx from the tarball, as the README shows (`npx ./dist/qcs-export-VERSION.tgz`)', async () => {
    const r = await run('npx', ['--yes', '--offline', `./dist/${basename(tarball)}`, '--version'], work);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe(`${version}\n`);
    // npx installed it into its own cache, not into the working directory.
    expect(existsSync(join(work, 'node_modules'))).toBe(false);
  });
});
