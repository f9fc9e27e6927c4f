import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const PACKAGES = fileURLToPath(new URL('../../', import.meta.url));
const SINK_API = fileURLToPath(new URL('../dist/sink-api.js', import.meta.url));
const FULL = fileURLToPath(new URL('../dist/index.js', import.meta.url));

/** The CommonJS packages a module pulls into a fresh Node process (undici is CommonJS, so it shows here). */
function packagesLoadedBy(file: string): string[] {
  const script =
    `await import(${JSON.stringify(file)}); const { createRequire } = await import('node:module');
    const cache = createRequire(import.meta.url).cache;
    console.log(JSON.stringify([...new Set(Object.keys(cache).map((f) => ` +
    `(/node_modules\\/((?:@[^/]+\\/)?[^/]+)\\//.exec(f.replace(/.*\\/node_modules\\/\\.pnpm\\/[^/]+/, '')) ?? [])[1]).filter(Boolean))]));`;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
  expect(r.stderr).toBe('');
  return JSON.parse(r.stdout) as string[];
}

describe('light imports (issue 10, point 9)', () => {
  it('@qcs-export/core/sink does not load the HTTP client; the full entry does', () => {
    expect(packagesLoadedBy(SINK_API)).not.toContain('undici');
    expect(packagesLoadedBy(FULL)).toContain('undici');
  });

  it('sink packages import core only through @qcs-export/core/sink', () => {
    const offenders: string[] = [];
    for (const pkg of readdirSync(PACKAGES).filter((p) => p.startsWith('sink-'))) {
      const src = join(PACKAGES, pkg, 'src');
      for (const file of readdirSync(src).filter((f) => f.endsWith('.ts'))) {
        if (/from '@qcs-export\/core'/.test(readFileSync(join(src, file), 'utf8'))) offenders.push(`${pkg}/src/${file}`);
      }
    }
    expect(offenders).toEqual([]);
  });
});
