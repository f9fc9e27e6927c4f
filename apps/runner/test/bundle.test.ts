import { existsSync, readFileSync } from 'node:fs';
import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'csv-parse/sync';
import ExcelJS from 'exceljs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Captured, spawnCaptured } from './spawn-captured.js';

// `pnpm bundle` (scripts/bundle.mjs) makes the one file the Dockerfile ships. This builds it the same way, copies only
// that file into an empty directory far from the repository, and runs it as the container does: plain `node`, no
// node_modules anywhere above it, no NODE_PATH, the embedded simulator into every file sink.

const REPO = fileURLToPath(new URL('../../../', import.meta.url)).replace(/[\\/]$/, '');
const INSTALLED_CLI = join(REPO, 'apps/runner/dist/cli.js');
const { version } = JSON.parse(readFileSync(join(REPO, 'apps/runner/package.json'), 'utf8')) as { version: string };
const IMAGES = 50;
const CONFIG = `source:
  simulator: { images: ${IMAGES}, seed: 1 }
  pageSize: 20
sinks:
  - type: csv
    path: out/images.csv
  - type: jsonl
    path: out/images.jsonl
  - type: excel
    path: out/images.xlsx
`;

/** Runs `node ...args` in `cwd` with only PATH from this environment: no NODE_PATH, no NODE_OPTIONS from vitest. */
function node(args: string[], cwd: string): Promise<Captured> {
  return spawnCaptured(process.execPath, args, { cwd, env: { PATH: process.env['PATH'] } });
}

async function sheetRows(file: string, name: string): Promise<unknown[][]> {
  const workbook = new ExcelJS.Workbook();
  await workbook.xlsx.readFile(file);
  const sheet = workbook.getWorksheet(name);
  if (!sheet) throw new Error(`no sheet ${name}; sheets: ${workbook.worksheets.map((w) => w.name).join(', ')}`);
  const rows: unknown[][] = [];
  sheet.eachRow((row) => rows.push((row.values as unknown[]).slice(1)));
  return rows;
}

let work = '';
/** The directory the bundle runs in: at first the bundle file and nothing else. */
let dir = '';
let bundleText = '';
let bundleLog = '';

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'qcs-bundle-'));
  const built = join(work, 'build', 'qcs-export.mjs');
  const r = await node([join(REPO, 'scripts/bundle.mjs'), '--outfile', built], REPO);
  if (r.code !== 0) throw new Error(`scripts/bundle.mjs exited ${r.code}:\n${r.stderr}${r.stdout}`);
  bundleLog = r.stdout;
  dir = join(work, 'run');
  await mkdir(dir);
  await copyFile(built, join(dir, 'qcs-export.mjs'));
  bundleText = await readFile(built, 'utf8');
}, 180_000);

afterAll(async () => {
  if (work) await rm(work, { recursive: true, force: true });
});

describe('the single-file bundle (pnpm bundle)', () => {
  it('reports its size, and starts with the shebang', () => {
    expect(bundleLog).toMatch(/qcs-export\.mjs: [\d.]+ MiB \(\d+ bytes/);
    expect(bundleText.startsWith('#!/usr/bin/env node\n')).toBe(true);
  });

  it('runs from a directory where no node_modules can be found, with no NODE_PATH', () => {
    for (let d = dir; ; d = dirname(d)) {
      expect(existsSync(join(d, 'node_modules')), `${d}/node_modules exists, so the bundle could resolve packages from it`).toBe(false);
      if (dirname(d) === d) break;
    }
    expect(existsSync(join(dir, 'package.json'))).toBe(false);
  });

  it('contains no absolute path of the build machine and no source map', () => {
    expect(bundleText.includes(REPO)).toBe(false);
    expect(bundleText.includes('/work/main')).toBe(false);
    expect(bundleText).not.toMatch(/sourceMappingURL/);
  });

  it('--version prints the version of apps/runner/package.json', async () => {
    const r = await node(['qcs-export.mjs', '--version'], dir);
    expect(r).toEqual({ code: 0, stdout: `${version}\n`, stderr: '' });
    const long = await node(['qcs-export.mjs', 'run', '--help'], dir);
    expect(long.code).toBe(0);
  });

  it('exports the embedded simulator to CSV, JSON Lines and Excel, read back with real parsers', async () => {
    await writeFile(join(dir, 'cfg.yaml'), CONFIG);
    const r = await node(['qcs-export.mjs', 'run', '-q', '--json', '-c', 'cfg.yaml'], dir);
    expect(r.code, r.stderr).toBe(0);
    // --quiet: nothing on stderr, as from an installed build; in particular no Node warning (`new Buffer()` in exceljs' zip libraries).
    expect(r.stderr).toBe('');
    const summary = JSON.parse(r.stdout) as { exitCode: number; records: number; sinks: Array<{ type: string; records: number }> };
    expect(summary.exitCode).toBe(0);
    expect(summary.records).toBe(IMAGES);
    expect(summary.sinks.map((s) => [s.type, s.records])).toEqual([
      ['csv', IMAGES],
      ['jsonl', IMAGES],
      ['excel', IMAGES],
    ]);

    const csv = parse(await readFile(join(dir, 'out/images.csv'), 'utf8'), { columns: true, bom: true, skip_empty_lines: true }) as Array<
      Record<string, string>
    >;
    expect(csv).toHaveLength(IMAGES);

    const lines = (await readFile(join(dir, 'out/images.jsonl'), 'utf8')).split('\n').filter((l) => l !== '');
    const records = lines.map((l) => JSON.parse(l) as { sha: string });
    expect(records).toHaveLength(IMAGES);
    expect(new Set(records.map((x) => x.sha)).size).toBe(IMAGES);

    const [header, ...rows] = await sheetRows(join(dir, 'out/images.xlsx'), 'Images');
    expect(header?.length).toBeGreaterThan(0);
    expect(rows).toHaveLength(IMAGES);
  });

  // Compares with the outputs of the test above.
  it('writes what the installed build writes from the same config', async () => {
    const other = join(work, 'installed');
    await mkdir(other);
    await writeFile(join(other, 'cfg.yaml'), CONFIG);
    const r = await node([INSTALLED_CLI, 'run', '-q', '-c', 'cfg.yaml'], other);
    expect(r.code, r.stderr).toBe(0);
    for (const file of ['out/images.csv', 'out/images.jsonl']) {
      expect(await readFile(join(dir, file), 'utf8'), file).toBe(await readFile(join(other, file), 'utf8'));
    }
    // A workbook's zip carries times, so its cells are compared.
    expect(await sheetRows(join(dir, 'out/images.xlsx'), 'Images')).toEqual(await sheetRows(join(other, 'out/images.xlsx'), 'Images'));
  });
});
