import { createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import { liveConfig, PASSWORD, useCliHarness } from './support.js';

const h = useCliHarness();
const SINKS = '  - type: jsonl\n    path: x.jsonl\n';

interface DoctorDocument {
  exitCode: number;
  error?: { code: string; message: string };
  usable?: boolean;
  auto?: { strategy: string };
  [key: string]: unknown;
}

/** A port of this host that nothing listens on: one the system just gave out and took back. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe('doctor --json has the shape of run --json: exitCode, error {code, message}, then the report (issue 22)', () => {
  it('a usable subscription: exit 0, the report, and no error', async () => {
    const s = await h.simulator({ images: 50 });
    const file = await h.config(liveConfig(s.url, SINKS));
    const r = await h.cli(['doctor', '-c', file, '--json'], { QUALYS_PASSWORD: PASSWORD });
    expect(r.code, r.stderr).toBe(0);
    const document = JSON.parse(r.stdout) as DoctorDocument;
    expect(document).toMatchObject({ exitCode: 0, usable: true, auto: { strategy: 'pages' } });
    expect(Object.keys(document)[0]).toBe('exitCode');
    expect(document).not.toHaveProperty('error');
    expect(document).not.toHaveProperty('problem');
  });

  it('a refused login: exit 4, error QCS_AUTH_FAILED on stdout, and the error line on stderr, no password anywhere', async () => {
    const s = await h.simulator({ images: 10 });
    const file = await h.config(liveConfig(s.url, SINKS));
    const r = await h.cli(['doctor', '-c', file, '--json'], { QUALYS_PASSWORD: 'wrong-password-123' });
    expect(r.code, r.stderr).toBe(4);
    const document = JSON.parse(r.stdout) as DoctorDocument;
    expect(document).toEqual({ exitCode: 4, error: { code: 'QCS_AUTH_FAILED', message: expect.stringMatching(/refused/) } });
    expect(r.stderr).toBe(`error [QCS_AUTH_FAILED]: ${document.error?.message}\n`);
    expect(r.stdout + r.stderr).not.toContain('wrong-password-123');
  });

  it('no strategy can export completely: exit 1, error QCS_SOURCE_INCOMPLETE beside the report', async () => {
    const s = await h.simulator({ images: 200, dialect: { count: 'absent' } });
    const file = await h.config(liveConfig(s.url, SINKS));
    const r = await h.cli(['doctor', '-c', file, '--json'], { QUALYS_PASSWORD: PASSWORD });
    expect(r.code, r.stderr).toBe(1);
    const document = JSON.parse(r.stdout) as DoctorDocument;
    expect(Object.keys(document).slice(0, 2)).toEqual(['exitCode', 'error']);
    expect(document).toMatchObject({
      exitCode: 1,
      error: { code: 'QCS_SOURCE_INCOMPLETE', message: 'the server sends no count for /images, so no export can be checked for completeness' },
      usable: false,
    });
    expect(document).not.toHaveProperty('problem');
  });

  it('nothing listening at the base URL: exit 1, error QCS_NETWORK on stdout', async () => {
    const file = await h.config(liveConfig(`http://127.0.0.1:${await closedPort()}`, SINKS, '  retries: 0\n'));
    const r = await h.cli(['doctor', '-c', file, '--json'], { QUALYS_PASSWORD: PASSWORD });
    expect(r.code, r.stderr).toBe(1);
    expect(JSON.parse(r.stdout)).toEqual({ exitCode: 1, error: { code: 'QCS_NETWORK', message: expect.any(String) } });
    expect(r.stderr).toMatch(/^error \[QCS_NETWORK\]: /);
  });
});

describe('doctor without --json says a failure as every command does', () => {
  it('the report on stdout, and `error [CODE]: message` on stderr', async () => {
    const s = await h.simulator({ images: 200, dialect: { count: 'absent' } });
    const file = await h.config(liveConfig(s.url, SINKS));
    const r = await h.cli(['doctor', '-c', file], { QUALYS_PASSWORD: PASSWORD });
    expect(r.code, r.stderr).toBe(1);
    expect(r.stdout).toMatch(/NOT usable/);
    expect(r.stderr).toBe('error [QCS_SOURCE_INCOMPLETE]: the server sends no count for /images, so no export can be checked for completeness\n');
  });

  it('with --log-format json, the failure is one JSON line with error.code', async () => {
    const s = await h.simulator({ images: 10 });
    const file = await h.config(liveConfig(s.url, SINKS));
    const r = await h.cli(['doctor', '-c', file, '--log-format', 'json'], { QUALYS_PASSWORD: 'wrong-password-123' });
    expect(r.code, r.stderr).toBe(4);
    const lines = r.stderr.trim().split('\n');
    expect(lines.map((line) => JSON.parse(line) as unknown).at(-1)).toMatchObject({ 'log.level': 'error', 'error.code': 'QCS_AUTH_FAILED' });
  });
});
