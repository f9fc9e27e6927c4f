import { describe, expect, it } from 'vitest';
import { liveConfig, PASSWORD, useCliHarness } from './support.js';

const h = useCliHarness();

describe('validate --connect logs in to Qualys (issue 9, point 24)', () => {
  it('reports ✓ with the number of images the filter matches, in one data call', async () => {
    const s = await h.simulator({ images: 1234 });
    const file = await h.config(liveConfig(s.url, '  - type: jsonl\n    path: x.jsonl\n'));
    const r = await h.cli(['validate', '--config', file, '--connect'], { QUALYS_PASSWORD: PASSWORD });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/✓ Qualys http:\/\/127\.0\.0\.1:\d+: logged in; 1,234 images match the filter/);
    expect(r.stdout).toMatch(/config OK/);
    expect(s.requests.filter((q) => q.path.startsWith('/csapi/'))).toHaveLength(1);
  });

  it('a wrong password is ✗ and exit 4 (without --connect the config alone is OK), and the password is never printed', async () => {
    const s = await h.simulator({ images: 10 });
    const file = await h.config(liveConfig(s.url, '  - type: jsonl\n    path: x.jsonl\n'));
    const offline = await h.cli(['validate', '--config', file], { QUALYS_PASSWORD: 'wrong-password-1' });
    expect(offline.code).toBe(0);
    expect(s.stats.requests).toBe(0);
    const r = await h.cli(['validate', '--config', file, '--connect'], { QUALYS_PASSWORD: 'wrong-password-1' });
    expect(r.code).toBe(4);
    expect(r.stdout).toMatch(/✗ Qualys http:\/\/127\.0\.0\.1:\d+ \[QCS_AUTH_FAILED\]: Qualys refused the username\/password/);
    expect(r.stdout + r.stderr).not.toContain('wrong-password-1');
    // Said once: the ✗ line, not again as an error on stderr.
    expect(r.stderr).not.toMatch(/refused the username/);
  });

  it('a gateway nobody listens on fails in one retry, not after the full retry budget of an export (issue 22)', async () => {
    const s = await h.simulator({ images: 1 });
    const port = s.port;
    await s.close();
    const file = await h.config(liveConfig(`http://127.0.0.1:${port}`, '  - type: jsonl\n    path: x.jsonl\n'));
    const r = await h.cli(['validate', '--config', file, '--connect'], { QUALYS_PASSWORD: PASSWORD });
    expect(r.code).not.toBe(0);
    expect(r.stdout).toMatch(/✗ Qualys http:\/\/127\.0\.0\.1:\d+ \[QCS_NETWORK\]/);
    // One retry at most: a single "retrying" warning, where an export would try several times.
    expect((r.stderr.match(/retry/gi) ?? []).length).toBeLessThanOrEqual(1);
  });

  it('with --json, the counts or the refusal are part of the one plan document on stdout (issue 22)', async () => {
    const s = await h.simulator({ images: 321 });
    const file = await h.config(liveConfig(s.url, '  - type: jsonl\n    path: x.jsonl\n'));
    const ok = await h.cli(['validate', '--json', '--connect', '-c', file], { QUALYS_PASSWORD: PASSWORD });
    expect(ok.code, ok.stderr).toBe(0);
    expect(JSON.parse(ok.stdout)).toMatchObject({ exitCode: 0, connection: { origin: s.url, images: 321 }, reads: { images: true } });
    const refused = await h.cli(['validate', '--json', '--connect', '-c', file], { QUALYS_PASSWORD: 'wrong-password-1' });
    expect(refused.code).toBe(4);
    const document = JSON.parse(refused.stdout);
    expect(document).toMatchObject({ exitCode: 4, error: { code: 'QCS_AUTH_FAILED' }, connection: { origin: s.url } });
    expect(document.connection).not.toHaveProperty('images');
    expect(refused.stdout).not.toContain('wrong-password-1');
  });
});
