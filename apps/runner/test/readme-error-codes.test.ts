import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ExitCode, exitCodeByErrorCode } from '../src/exit-codes.js';

const README = readFileSync(new URL('../../../README.md', import.meta.url), 'utf8');

describe('the README lists every error code with its exit code', () => {
  it('has one row per QCS_* code, with the exit code the CLI uses, and no code that does not exist', () => {
    const rows = new Map([...README.matchAll(/^\| `(QCS_[A-Z_]+)` \| (\d+) \|/gm)].map((m) => [m[1] as string, Number(m[2])]));
    expect(Object.fromEntries(rows)).toEqual(exitCodeByErrorCode);
  });

  it('no error code exits 0: a failure never looks like success to a script', () => {
    expect(Object.entries(exitCodeByErrorCode).filter(([, exit]) => exit === ExitCode.ok)).toEqual([]);
  });
});
