import { readdir, readFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

const SRC = join(import.meta.dirname, '../src');

async function sourceFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true });
  return entries.filter((e) => e.isFile() && e.name.endsWith('.ts')).map((e) => join(e.parentPath, e.name));
}

function importsOf(text: string): string[] {
  return [...text.matchAll(/(?:^|\n)\s*(?:import|export)\b[^'"]*?from\s*['"]([^'"]+)['"]/g), ...text.matchAll(/import\(\s*['"]([^'"]+)['"]\s*\)/g)].map(
    (m) => m[1] as string,
  );
}

describe("the runner's layering (issue 18)", () => {
  it('config/ knows nothing of the state or the run: it imports neither state/ nor run/', async () => {
    const offending: string[] = [];
    for (const file of await sourceFiles(join(SRC, 'config'))) {
      for (const spec of importsOf(await readFile(file, 'utf8'))) {
        if (/^\.\.\/(state|run)\//.test(spec)) offending.push(`${relative(SRC, file)} imports ${spec}`);
      }
    }
    expect(offending).toEqual([]);
  });

  it('only registry.ts knows the built-in sinks: no other file imports a sink package or names a sink type', async () => {
    const offending: string[] = [];
    for (const file of await sourceFiles(SRC)) {
      const name = relative(SRC, file);
      if (name === 'registry.ts') continue;
      const text = await readFile(file, 'utf8');
      if (importsOf(text).some((spec) => spec.startsWith('@qcs-export/sink-'))) offending.push(`${name} imports a sink package`);
      for (const m of text.matchAll(/['"`](jsonl|csv|excel|elasticsearch)['"`]/g)) offending.push(`${name} names the ${m[1]} sink`);
    }
    expect(offending).toEqual([]);
  });
});
