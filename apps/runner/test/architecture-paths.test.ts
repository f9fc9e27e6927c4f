import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const doc = readFileSync(`${root}docs/ARCHITECTURE.md`, 'utf8');
/** Backticked tokens of the doc, `<placeholders>` and globs left out. */
const tokens = [...new Set([...doc.matchAll(/`([^`\s]+)`/g)].map((m) => m[1] as string))].filter((t) => !/[<>*{}]/.test(t));

describe('docs/ARCHITECTURE.md', () => {
  it('names real files and folders: every repository path it gives exists', () => {
    const paths = tokens.filter((t) => /^(packages|apps|bench|scripts|docs|examples|\.ci)\//.test(t));
    // A doc that stopped naming paths would pass the check below vacuously.
    expect(paths.length).toBeGreaterThanOrEqual(15);
    expect(paths.filter((p) => !existsSync(`${root}${p}`))).toEqual([]);
  });

  it('names real modules: every bare file name it gives (`ledger.ts`) is a file of the repository', () => {
    const tracked = new Set(
      execFileSync('git', ['ls-files', '--cached', '--others', '--exclude-standard'], { cwd: root, encoding: 'utf8' })
        .split('\n')
        .map((f) => basename(f)),
    );
    const names = tokens.filter((t) => !t.includes('/') && /\.(ts|mjs|json|md|yaml)$/.test(t));
    expect(names.length).toBeGreaterThanOrEqual(15);
    expect(names.filter((n) => !tracked.has(n))).toEqual([]);
  });
});
