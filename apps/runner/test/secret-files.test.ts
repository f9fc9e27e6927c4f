import { execFileSync } from 'node:child_process';
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readSecretFile, readSecretFileSync } from '../src/config/secret-file.js';
import { liveConfig, PASSWORD, useCliHarness } from './support.js';

const h = useCliHarness();
/** A CLI blocked for ever (the FIFO before the fix) is killed here, so the test fails on its exit code instead of hanging. */
const HANG_GUARD_MS = 20_000;

const guarded = (args: string[]) =>
  h.cli(args, {}, (child) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), HANG_GUARD_MS);
    child.on('exit', () => clearTimeout(timer));
  });

describe('${file:…} secrets are bounded regular files (issue 17)', () => {
  const cases: Array<[string, (dir: string) => Promise<string>, RegExp]> = [
    [
      'a FIFO nobody writes to',
      async (dir) => {
        execFileSync('mkfifo', [join(dir, 'pw.fifo')]);
        return join(dir, 'pw.fifo');
      },
      /pw\.fifo is a FIFO \(named pipe\); \$\{file:…\} reads a regular file of at most 64 KiB/,
    ],
    ['/dev/zero', async () => '/dev/zero', /\/dev\/zero is a device; \$\{file:…\} reads a regular file/],
    [
      'a 65 KiB file',
      async (dir) => {
        await writeFile(join(dir, 'big'), 'x'.repeat(65 * 1024));
        return join(dir, 'big');
      },
      /big is larger than 64 KiB, which is not a secret/,
    ],
    [
      'a directory',
      async (dir) => {
        await mkdir(join(dir, 'secrets'));
        return join(dir, 'secrets');
      },
      /secrets is a directory; \$\{file:…\} reads a regular file/,
    ],
  ];

  it.each(cases)('source.auth.password from %s: exit 2 naming the setting and the file, before any request', async (_name, make, message) => {
    const s = await h.simulator({ images: 10 });
    const path = await make(h.dir);
    const file = await h.config(liveConfig(s.url, '  - type: jsonl\n    path: out/a.jsonl\n').replace('${QUALYS_PASSWORD}', `\${file:${path}}`));
    for (const command of ['run', 'validate']) {
      const r = await guarded([command, '-c', file]);
      expect(r.code, `${command}: ${r.stderr}`).toBe(2);
      expect(r.stderr).toMatch(/QCS_CONFIG_INVALID/);
      expect(r.stderr).toMatch(/config\.yaml:5:\d+ source\.auth\.password: /);
      expect(r.stderr).toMatch(message);
    }
    expect(s.stats.requests).toBe(0);
    expect(await readdir(h.dir)).not.toContain('out');
  });

  it('a regular secret file still works, its final line break dropped, through the asynchronous and the synchronous reader', async () => {
    await writeFile(join(h.dir, 'pw'), `${PASSWORD}\n`);
    expect(await readSecretFile(join(h.dir, 'pw'))).toEqual({ ok: true, value: PASSWORD });
    expect(readSecretFileSync(join(h.dir, 'pw'))).toEqual({ ok: true, value: PASSWORD });
    await writeFile(join(h.dir, 'max'), 'y'.repeat(64 * 1024));
    expect(readSecretFileSync(join(h.dir, 'max'))).toMatchObject({ ok: true });
    expect(await readSecretFile(join(h.dir, 'max'))).toMatchObject({ ok: true });
  });

  it('an abort (SIGINT, SIGTERM) stops the asynchronous read at once', async () => {
    const controller = new AbortController();
    controller.abort();
    await expect(readSecretFile(join(h.dir, 'missing'), { signal: controller.signal })).rejects.toMatchObject({ code: 'QCS_ABORTED' });
  });
});
