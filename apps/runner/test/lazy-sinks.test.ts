import { spawnSync } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { useCliHarness } from './support.js';

const h = useCliHarness();
const CLI = fileURLToPath(new URL('../dist/cli.js', import.meta.url));

/** Runs the CLI with a probe that reports, at exit, which heavy sink libraries were loaded into the process. */
async function librariesLoadedBy(args: string[]): Promise<{ status: number | null; loaded: string[] }> {
  const probe = join(h.dir, 'probe.cjs');
  await writeFile(
    probe,
    `process.on('exit', () => {
      const loaded = new Set(Object.keys(require.cache).map((f) => ` +
      `(/node_modules\\/(exceljs|@elastic\\/elasticsearch|csv-stringify)\\//.exec(f) ?? [])[1]).filter(Boolean));
      require('fs').writeFileSync(${JSON.stringify(join(h.dir, 'loaded.json'))}, JSON.stringify([...loaded].sort()));
    });`,
  );
  const r = spawnSync(process.execPath, ['--require', probe, CLI, ...args], { cwd: h.dir, encoding: 'utf8', env: { PATH: process.env['PATH'] } });
  const { readFileSync } = await import('node:fs');
  return { status: r.status, loaded: JSON.parse(readFileSync(join(h.dir, 'loaded.json'), 'utf8')) as string[] };
}

describe('sink libraries load only when a run uses them (issue 9, point 27)', () => {
  it('--version loads none of them', async () => {
    expect(await librariesLoadedBy(['--version'])).toEqual({ status: 0, loaded: [] });
  });

  it('validate of a config naming every sink loads none of them: schemas and checks are light', async () => {
    await h.config(
      'source:\n  simulator: { images: 10 }\nsinks:\n  - type: jsonl\n    path: a.jsonl\n  - type: csv\n    path: a.csv\n  - type: excel\n    path: a.xlsx\n',
    );
    expect(await librariesLoadedBy(['validate', '-c', 'config.yaml'])).toEqual({ status: 0, loaded: [] });
  });

  it('a run loads exactly the libraries of the sinks it opens', async () => {
    await h.config('source:\n  simulator: { images: 10 }\nsinks:\n  - type: jsonl\n    path: a.jsonl\n  - type: excel\n    path: a.xlsx\n');
    expect(await librariesLoadedBy(['run', '-c', 'config.yaml', '-q'])).toEqual({ status: 0, loaded: ['exceljs'] });
  });
});
