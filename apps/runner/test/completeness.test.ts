import { lstat, readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { liveConfig, PASSWORD, shasOf, useCliHarness } from './support.js';

const h = useCliHarness();
/**
 * Past the cap at a tenth of the size: the simulator caps /images at 1,000 records and the config says so
 * (source.resultCap), so 2,500 images take the paths 11,000 take under the documented 10,000.
 */
const SMALL_CAP = { images: 2500, maxResultWindow: 1000 } as const;
const RESULT_CAP = '  resultCap: 1000\n';

describe('qcs-export run: a complete export, or a loud failure that writes nothing', () => {
  it('a server that misapplies a paging form still gets a complete export (auto falls back to bulk) and the summary says why', async () => {
    const s = await h.simulator({ ...SMALL_CAP, dialect: { epochSeconds: true }, updatesDuringCrawl: { everyRequests: 5, count: 3 } });
    const file = await h.config(liveConfig(s.url, '  - type: jsonl\n    path: out/images.jsonl\n', RESULT_CAP));
    const r = await h.cli(['run', '--config', file], { QUALYS_PASSWORD: PASSWORD });
    expect(r.code, r.stderr).toBe(0);
    const shas = shasOf(await readFile(join(h.dir, 'out/images.jsonl'), 'utf8'));
    expect(new Set(shas).size).toBe(shas.length);
    expect(new Set(shas)).toEqual(new Set(s.images().map((i) => i.sha)));
    expect(r.stderr).toMatch(/strategy bulk: 2500 images, past the cap; the keyset self-test failed \(updated>=X \(epoch ms\): expected count/);
    expect(r.stderr).toMatch(/severity counts: ABSENT/);
    expect(r.stderr).toMatch(/Qualys counts 2,500/);
    const json = await h.cli(['run', '--config', file, '--json'], { QUALYS_PASSWORD: PASSWORD });
    const summary = JSON.parse(json.stdout) as { strategy: string; selfTest: Array<{ form: string; ok: boolean }> };
    expect(summary.strategy).toBe('bulk');
    expect(summary.selfTest.find((v) => v.form === 'updated>=X (epoch ms)')?.ok).toBe(false);
  });

  it('--json carries the strategy, the reason, the counts at start and end, and says severity counts are absent', async () => {
    const s = await h.simulator({ images: 2_000 });
    const file = await h.config(liveConfig(s.url, '  - type: jsonl\n    path: out/images.jsonl\n', '  strategy: bulk\n'));
    const r = await h.cli(['run', '--config', file, '--json'], { QUALYS_PASSWORD: PASSWORD });
    expect(r.code, r.stderr).toBe(0);
    const summary = JSON.parse(r.stdout) as Record<string, unknown>;
    expect(summary).toMatchObject({
      strategy: 'bulk',
      strategyReason: 'set in the config',
      expectedAtStart: 2000,
      countAtEnd: 2000,
      records: 2000,
      severityCounts: 'absent',
    });
  });

  it('a shortfall the source cannot recover exits 1 with QCS_SOURCE_INCOMPLETE, the numbers, advice, and no output file', async () => {
    // Every bulk page is cut short while its Link points past the full page: records are skipped on every pass.
    const s = await h.simulator({ images: 3_000, faults: [{ kind: 'shortPage', count: 100_000, path: '/csapi/v1.3/images/list' }] });
    const file = await h.config(
      liveConfig(s.url, '  - type: jsonl\n    path: out/images.jsonl\n  - type: csv\n    path: out/images.csv\n', '  strategy: bulk\n'),
    );
    const r = await h.cli(['run', '--config', file], { QUALYS_PASSWORD: PASSWORD });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/error \[QCS_SOURCE_INCOMPLETE\]: Qualys counts 3000 images for the filter, but only \d+ could be read/);
    expect(r.stderr).toMatch(/are missing, so nothing was written\. Re-run the export/);
    expect(r.stderr).not.toMatch(/exported \d/);
    expect(await readdir(join(h.dir, 'out')).catch(() => [])).toEqual([]);
  });

  it('a 400 on a paging form after the filter was accepted blames the paging form, not source.filter (issue 9, point 16)', async () => {
    const s = await h.simulator({ images: 3_000, dialect: { reject: ['compare'] } });
    const file = await h.config(liveConfig(s.url, '  - type: jsonl\n    path: out/images.jsonl\n', '  strategy: images\n'));
    const r = await h.cli(['run', '--config', file], { QUALYS_PASSWORD: PASSWORD });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      /QCS_SOURCE_INCONSISTENT.*Qualys accepted the filter at the start but rejected a query the images strategy sent later.*qcs-export doctor/,
    );
    expect(r.stderr).not.toMatch(/Check source\.filter/);
    expect(await readdir(join(h.dir, 'out')).catch(() => [])).toEqual([]);
  });

  it('a server that sends no count fails before writing anything, and says so', async () => {
    const s = await h.simulator({ images: 500, dialect: { count: 'absent' } });
    const file = await h.config(liveConfig(s.url, '  - type: jsonl\n    path: out/images.jsonl\n'));
    const r = await h.cli(['run', '--config', file], { QUALYS_PASSWORD: PASSWORD });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/QCS_SOURCE_INCOMPLETE.*no "count"/);
    expect(await readdir(h.dir)).toEqual(['config.yaml']);
  });
});

describe('qcs-export doctor', () => {
  it('reports every form, the rate-limit headers, the Link header and the strategy auto would choose; exit 0; no secret printed', async () => {
    const s = await h.simulator({ ...SMALL_CAP, rateLimit: { list: { limit: 120, windowSec: 60 }, images: { limit: 5000, windowSec: 60 } } });
    const file = await h.config(liveConfig(s.url, '  - type: jsonl\n    path: out/images.jsonl\n', RESULT_CAP));
    const before = s.stats.requests;
    const r = await h.cli(['doctor', '--config', file, '--json'], { QUALYS_PASSWORD: PASSWORD });
    expect(r.code, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout) as {
      usable: boolean;
      count: number;
      auto: { strategy: string };
      forms: Array<{ form: string; ok: boolean }>;
      sorts: Array<{ ok: boolean }>;
      rateLimitHeaders: { images: Record<string, string> };
      bulk: { link: string; detail: string };
      unauthorized: string;
      pastCap: string;
      calls: number;
    };
    expect(report).toMatchObject({ usable: true, count: 2500, auto: { strategy: 'images' } });
    expect(report.forms.filter((f) => f.form.includes('updated')).every((f) => f.ok)).toBe(true);
    expect(report.forms.some((f) => f.form === 'updated>=X and not uuid: [...]' && f.ok)).toBe(true);
    expect(report.forms.filter((f) => f.form.includes('created')).every((f) => f.ok)).toBe(true);
    expect(report.rateLimitHeaders.images['x-ratelimit-limit']).toBe('5000');
    expect(report.bulk.link).toMatch(/^<http:\/\/qualysapi\.qualys\.com\/csapi\/v1\.3\/images\/list\?.*<;rel=next$/);
    expect(report.bulk.detail).toMatch(/documented malformed form.*not 127\.0\.0\.1/);
    expect(report.unauthorized).toMatch(/401/);
    // The first page wholly past the configured cap: page 2 of 1,000 (page 11 under the documented 10,000).
    expect(report.pastCap).toMatch(/page 2 of 1,000 refused: QCS_FILTER_REJECTED/);
    expect(report.calls).toBeLessThanOrEqual(30);
    expect(s.stats.requests - before).toBeLessThanOrEqual(32);
    expect(r.stdout + r.stderr).not.toContain(PASSWORD);
    // read-only: nothing written
    expect(await readdir(h.dir)).toEqual(['config.yaml']);
  });

  it('names the form a server misapplies, and picks bulk', async () => {
    const s = await h.simulator({ ...SMALL_CAP, dialect: { ignoreNotUuid: true } });
    const file = await h.config(liveConfig(s.url, '  - type: jsonl\n    path: x.jsonl\n', RESULT_CAP));
    const r = await h.cli(['doctor', '--config', file], { QUALYS_PASSWORD: PASSWORD });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/✗ updated>=X and not uuid: \[\.\.\.\]: expected count \d+, got \d+/);
    expect(r.stdout).toMatch(/auto would use: bulk/);
  });

  it('exits 1 when no strategy can guarantee a complete export', async () => {
    const s = await h.simulator({ images: 200, dialect: { count: 'absent' } });
    const file = await h.config(liveConfig(s.url, '  - type: jsonl\n    path: x.jsonl\n'));
    const r = await h.cli(['doctor', '--config', file], { QUALYS_PASSWORD: PASSWORD });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/no count/);
  });

  it('exits 4 when the login is refused, without printing the password', async () => {
    const s = await h.simulator({ images: 10 });
    const file = await h.config(liveConfig(s.url, '  - type: jsonl\n    path: x.jsonl\n'));
    const r = await h.cli(['doctor', '--config', file], { QUALYS_PASSWORD: 'wrong-password-123' });
    expect(r.code).toBe(4);
    expect(r.stdout + r.stderr).not.toContain('wrong-password-123');
  });
});

describe('qcs-export run never replaces a special file', () => {
  it('path: /dev/null exits 2 before any file is written, and /dev/null stays a device', async () => {
    const s = await h.simulator({ images: 50 });
    const file = await h.config(liveConfig(s.url, '  - type: jsonl\n    path: out/a.jsonl\n  - type: csv\n    path: /dev/null\n'));
    const r = await h.cli(['run', '--config', file], { QUALYS_PASSWORD: PASSWORD });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/QCS_OUTPUT_UNWRITABLE.*\/dev\/null: it is a device, not a regular file/);
    expect((await lstat('/dev/null')).isCharacterDevice()).toBe(true);
    expect(await readdir(join(h.dir, 'out')).catch(() => [])).toEqual([]);
  });
});
