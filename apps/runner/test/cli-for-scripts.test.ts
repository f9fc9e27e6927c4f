import { spawnSync } from 'node:child_process';
import { mkdir, readFile, symlink } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { toolVersion } from '../src/version.js';
import { liveConfig, PASSWORD, shasOf, useCliHarness } from './support.js';

const h = useCliHarness();
const { cli, simulator, config } = h;
const ISO_TIME = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z /;

describe('runs from cron and CI (issue 9, point 22)', () => {
  // As processes of their own: the exit status the shell sees, and nothing printed even after the command returned.
  it('--quiet prints nothing at all on success, and only the error line on failure', async () => {
    const s = await simulator({ images: 300 });
    const file = await config(liveConfig(s.url, '  - type: jsonl\n    path: a.jsonl\n'));
    const ok = await h.cliProcess(['run', '-c', file, '--quiet'], { QUALYS_PASSWORD: PASSWORD });
    expect(ok.code).toBe(0);
    expect(ok.stderr + ok.stdout).toBe('');
    expect(shasOf(await readFile(join(h.dir, 'a.jsonl'), 'utf8'))).toHaveLength(300);
    const bad = await h.cliProcess(['run', '-c', file, '-q'], { QUALYS_PASSWORD: 'wr0ng-pass' });
    expect(bad.code).toBe(4);
    expect(bad.stderr.trim().split('\n')).toEqual([expect.stringMatching(/^error \[QCS_AUTH_FAILED\]: /)]);
  });

  it('JSON Lines to "-" through a real pipe: every record whole on stdout, the logs on stderr only', async () => {
    const s = await simulator({ images: 1200 });
    const file = await config(liveConfig(s.url, '  - type: jsonl\n    path: "-"\n'));
    const r = await h.cliProcess(['run', '-c', file], { QUALYS_PASSWORD: PASSWORD });
    expect(r.code, r.stderr).toBe(0);
    const shas = shasOf(r.stdout);
    expect(shas).toHaveLength(1200);
    expect(new Set(shas)).toEqual(new Set(s.images().map((i) => i.sha)));
    expect(r.stderr).toMatch(/exported 1,200 images/);
  });

  it('a reader that stops early (| head -n 1) ends the run quietly: exit 141, no error, no warning (issue 22)', async () => {
    const s = await simulator({ images: 3000 });
    const file = await config(liveConfig(s.url, '  - type: jsonl\n    path: "-"\n'));
    const { spawn } = await import('node:child_process');
    const child = spawn(process.execPath, [fileURLToPath(new URL('../dist/cli.js', import.meta.url)), 'run', '-c', file], {
      cwd: h.dir,
      env: { ...process.env, QUALYS_PASSWORD: PASSWORD },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    // As head does: read the first line, then close the pipe while the export still writes.
    let first = '';
    await new Promise<void>((resolve) => {
      child.stdout.on('data', (d: Buffer) => {
        first += d.toString('utf8');
        if (first.includes('\n')) {
          child.stdout.destroy();
          resolve();
        }
      });
    });
    const code = await new Promise((r) => child.on('exit', (c) => r(c)));
    expect(shasOf(first.slice(0, first.indexOf('\n') + 1))).toHaveLength(1);
    expect(code).toBe(141);
    expect(stderr).not.toMatch(/error|warn/);
  });

  it('log lines carry an ISO time when stderr is not a terminal', async () => {
    const s = await simulator({ images: 300 });
    const file = await config(liveConfig(s.url, '  - type: jsonl\n    path: a.jsonl\n'));
    const r = await cli(['run', '-c', file], { QUALYS_PASSWORD: PASSWORD });
    expect(r.code).toBe(0);
    const logLines = r.stderr.split('\n').filter((l) => /\b(debug|info|warn|error): /.test(l));
    expect(logLines.length).toBeGreaterThan(0);
    for (const line of logLines) expect(line).toMatch(ISO_TIME);
  });

  it('--log-format json: every stderr line is one JSON object, the summary included, and no secret', async () => {
    const s = await simulator({ images: 300 });
    const file = await config(liveConfig(s.url, '  - type: jsonl\n    path: a.jsonl\n'));
    const r = await cli(['run', '-c', file, '--log-format', 'json'], { QUALYS_PASSWORD: PASSWORD });
    expect(r.code).toBe(0);
    const lines = r.stderr
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    for (const line of lines)
      expect(line).toMatchObject({ '@timestamp': expect.stringMatching(/Z$/), 'log.level': expect.any(String), message: expect.any(String) });
    expect(lines.at(-1)).toMatchObject({ message: 'run finished', summary: { records: 300 } });
    expect(r.stderr).not.toContain(PASSWORD);
  });

  it('--log-format json: a failed run ends stderr with a JSON error line too', async () => {
    const s = await simulator({ images: 30 });
    const file = await config(liveConfig(s.url, '  - type: jsonl\n    path: a.jsonl\n'));
    const r = await cli(['run', '-c', file, '--log-format', 'json'], { QUALYS_PASSWORD: 'wr0ng-pass' });
    expect(r.code).toBe(4);
    const lines = r.stderr
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines.at(-1)).toMatchObject({ 'log.level': 'error', 'error.code': 'QCS_AUTH_FAILED', message: expect.stringMatching(/refused the username/) });
  });

  it('--json prints a machine-readable error object on stdout when the run fails', async () => {
    const s = await simulator({ images: 300 });
    const file = await config(liveConfig(s.url, '  - type: jsonl\n    path: a.jsonl\n'));
    const r = await cli(['run', '-c', file, '--json'], { QUALYS_PASSWORD: 'wr0ng&=+pw' });
    expect(r.code).toBe(4);
    const outcome = JSON.parse(r.stdout) as { exitCode: number; error: { code: string; message: string } };
    expect(outcome).toEqual({ exitCode: 4, error: { code: 'QCS_AUTH_FAILED', message: expect.stringMatching(/refused the username\/password/) } });
    expect(r.stdout).not.toContain('wr0ng');
  });

  it('--json on success carries exitCode 0 beside the summary', async () => {
    const s = await simulator({ images: 300 });
    const file = await config(liveConfig(s.url, '  - type: jsonl\n    path: a.jsonl\n'));
    const r = await cli(['run', '-c', file, '--json', '--quiet'], { QUALYS_PASSWORD: PASSWORD });
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ exitCode: 0, records: 300 });
    expect(r.stderr).toBe('');
  });

  it('--log-level debug shows every request with method, path, status and duration, and never a credential', async () => {
    const s = await simulator({ images: 300 });
    const file = await config(liveConfig(s.url, '  - type: jsonl\n    path: a.jsonl\n'));
    const r = await cli(['run', '-c', file, '--log-level', 'debug'], { QUALYS_PASSWORD: PASSWORD });
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/debug: POST \/auth → 20[01] in \d+ ms/);
    const calls = r.stderr.match(/debug: GET \/csapi\/v1\.3\/images\S* → 200 in \d+ ms/g) ?? [];
    expect(calls.length).toBe(s.requests.filter((q) => q.path.startsWith('/csapi/')).length);
    expect(r.stderr).not.toContain(PASSWORD);
    expect(r.stderr).not.toContain(encodeURIComponent(PASSWORD));
    expect(r.stderr).not.toMatch(/eyJ[A-Za-z0-9_-]{10,}/);
  });

  it('rejects an unknown --log-format with a usage error', async () => {
    const file = await config('source:\n  simulator: { images: 10 }\nsinks:\n  - type: jsonl\n    path: a.jsonl\n');
    const r = await cli(['run', '-c', file, '--log-format', 'xml']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--log-format must be text or json/);
  });
});

const BIN = fileURLToPath(new URL('../bin/qcs-export.js', import.meta.url));
const EXAMPLES = fileURLToPath(new URL('../../../examples/', import.meta.url));

describe('a real qcs-export command (issue 9, point 21)', () => {
  it('the bin, linked onto PATH from anywhere, runs with config and output paths relative to where it was run', async () => {
    const binDir = join(h.dir, 'bin');
    await mkdir(binDir);
    await symlink(BIN, join(binDir, 'qcs-export'));
    await mkdir(join(h.dir, 'work'));
    await config('source:\n  simulator: { images: 120 }\nsinks:\n  - type: jsonl\n    path: work/out.jsonl\n');
    const r = spawnSync('qcs-export', ['run', '-c', 'config.yaml', '--quiet'], {
      cwd: h.dir,
      env: { PATH: `${binDir}:${process.env['PATH']}` },
      encoding: 'utf8',
    });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(shasOf(await readFile(join(h.dir, 'work/out.jsonl'), 'utf8'))).toHaveLength(120);
  });

  // `pnpm qcs-export` runs the workspace's linked bin: no script banner on stdout, and the user's directory kept.
  // Every machine that runs these tests installed the workspace with pnpm, so it is on PATH.
  it('`pnpm qcs-export …` prints only what the command prints, from a subdirectory, with paths relative to it', () => {
    const pnpm = (args: string[]) =>
      spawnSync('pnpm', ['qcs-export', ...args], { cwd: EXAMPLES, encoding: 'utf8', env: { ...process.env, COREPACK_ENABLE_DOWNLOAD_PROMPT: '0' } });
    const version = pnpm(['--version']);
    expect(version.stdout).toBe(`${toolVersion}\n`);
    const validate = pnpm(['validate', '-c', 'demo.yaml']);
    expect(validate.status).toBe(0);
    expect(validate.stdout).toMatch(/^config OK: demo\.yaml: embedded simulator/);
  });
});
