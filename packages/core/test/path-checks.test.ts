import { mkdtempSync, rmSync, statfsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { OutputUnwritableError } from '../src/errors.js';
import { checkWritable } from '../src/sink/path-checks.js';

const dir = mkdtempSync(join(tmpdir(), 'qcs-path-checks-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const refusal = async (path: string) => {
  const error = await checkWritable(path).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error, `${path} was accepted`).toBeInstanceOf(OutputUnwritableError);
  return (error as Error).message;
};

// As root, access(W_OK) says yes on /proc and /sys, where nothing can be created: the check must not rely on it.
const procIsThere = (() => {
  try {
    return statfsSync('/proc').type === 0x9fa0;
  } catch {
    return false;
  }
})();

describe('checkWritable refuses what the write would refuse, so validate and run agree (issue 22)', () => {
  it.runIf(procIsThere)('a path under /proc, as any user', async () => {
    const message = await refusal('/proc/qcs-export-x/y.jsonl');
    if (process.getuid?.() === 0) expect(message).toContain('/proc is on proc, a filesystem of the kernel');
    expect(message).toContain('choose a path in a writable directory');
  });

  it.runIf(procIsThere)('a file directly in a /proc directory', async () => {
    expect(await refusal('/proc/self/qcs-export.jsonl')).toContain('cannot write /proc/self/qcs-export.jsonl');
  });

  it('a directory name longer than filesystems take', async () => {
    expect(await refusal(join(dir, 'd'.repeat(256), 'x.csv'))).toContain('ENAMETOOLONG');
  });

  it('a file name the temporary file would push past 255 bytes, with how much to shorten it', async () => {
    const message = await refusal(join(dir, `${'f'.repeat(240)}.csv`));
    expect(message).toMatch(/the file name f+… is too long: .* shorten it by \d+ bytes/);
  });

  it('still takes an ordinary path in a writable directory, missing parents included', async () => {
    await expect(checkWritable(join(dir, 'new', 'deeper', `${'n'.repeat(200)}.xlsx`))).resolves.toBeUndefined();
  });
});
