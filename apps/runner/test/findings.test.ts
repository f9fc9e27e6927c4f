import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { describe, expect, it } from 'vitest';
import { imageFindings } from '@qcs-export/qualys-simulator';
import { liveConfig, PASSWORD, useCliHarness } from './support.js';

const h = useCliHarness();
const { cli, simulator, config } = h;
const DAY = 86_400_000;

const jsonLines = async (file: string) =>
  (await readFile(join(h.dir, file), 'utf8'))
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Record<string, unknown>);
const csvRows = async (file: string) => {
  const [header, ...rows] = parse(await readFile(join(h.dir, file), 'utf8'), { bom: true }) as string[][];
  return rows.map((r) => Object.fromEntries((header ?? []).map((k, i) => [k, r[i] ?? ''])));
};

describe('vulnerability findings (issue 11)', () => {
  it('every (image, QID) exactly once per grain, in JSON Lines and CSV, matching what the server holds', async () => {
    const s = await simulator({ images: 300 });
    const vulnerable = s.images().filter((i) => imageFindings(i).length > 0);
    const expectedFindings = new Set(vulnerable.flatMap((i) => imageFindings(i).map((f) => `${i.sha}/${String(f['qid'])}`)));
    const expectedPackages = vulnerable
      .flatMap((i) => imageFindings(i).flatMap((f) => Math.max(1, (f['software'] as unknown[]).length)))
      .reduce((a, b) => a + b, 0);
    const file = await config(
      liveConfig(
        s.url,
        '  - type: jsonl\n    path: findings.jsonl\n    records: findings\n' +
          '  - type: csv\n    path: findings.csv\n    records: findings\n  - type: csv\n    path: packages.csv\n    records: packages\n',
        '  vulnerabilities: { from: details }\n',
      ),
    );
    const r = await cli(['run', '-c', file], { QUALYS_PASSWORD: PASSWORD });
    expect(r.stderr).toMatch(/vulnerabilities: [\d,]+ findings from [\d,]+ calls/);
    expect(r.code).toBe(0);
    const jsonKeys = (await jsonLines('findings.jsonl')).map((f) => `${String(f['sha'])}/${String(f['qid'])}`);
    expect(jsonKeys).toHaveLength(expectedFindings.size);
    expect(new Set(jsonKeys)).toEqual(expectedFindings);
    const csvKeys = (await csvRows('findings.csv')).map((f) => `${f['Image SHA']}/${f['QID']}`);
    expect(csvKeys).toHaveLength(expectedFindings.size);
    expect(new Set(csvKeys)).toEqual(expectedFindings);
    const packageRows = await csvRows('packages.csv');
    expect(packageRows).toHaveLength(expectedPackages);
    expect(new Set(packageRows.map((p) => p['Finding Key'])).size).toBe(expectedPackages);
  });

  it('SLA fields agree with an independent calculation from first-found, severity and the default policy', async () => {
    const s = await simulator({ images: 150 });
    const file = await config(
      liveConfig(s.url, '  - type: jsonl\n    path: findings.jsonl\n    records: findings\n', '  vulnerabilities: { from: details }\n'),
    );
    const before = Date.now();
    const r = await cli(['run', '-c', file, '-q'], { QUALYS_PASSWORD: PASSWORD });
    const after = Date.now();
    expect(r.code).toBe(0);
    const policy: Record<number, number> = { 5: 30, 4: 30, 3: 90, 2: 180, 1: 180 };
    const rows = await jsonLines('findings.jsonl');
    expect(rows.length).toBeGreaterThan(100);
    const statuses = new Set<string>();
    for (const f of rows) {
      const first = Date.parse(f['firstFound'] as string);
      const days = policy[f['severity'] as number] as number;
      const due = first + days * DAY;
      expect(f['slaDays']).toBe(days);
      expect(f['slaDueAt']).toBe(new Date(due).toISOString());
      // The run's clock lies between before and after; only rows due inside that instant could go either way.
      // Whole days at the run's clock, which lies between before and after: either count is right.
      const wholeDays = (from: number) => [Math.floor((before - from) / DAY), Math.floor((after - from) / DAY)];
      statuses.add(f['slaStatus'] as string);
      expect(wholeDays(first)).toContain(f['ageDays']);
      // Under an exception: kept apart from the breach figures whatever the dates, and never overdue.
      if (f['exempted'] === true) {
        expect(f).toMatchObject({ slaStatus: 'exempted', daysOverdue: null });
        continue;
      }
      if (due < before) {
        expect(f['slaStatus']).toBe('breached');
        expect(wholeDays(due)).toContain(f['daysOverdue']);
      }
      if (due > after) expect(f).toMatchObject({ slaStatus: 'within', daysOverdue: 0 });
    }
    expect(statuses).toEqual(new Set(['within', 'breached', 'exempted']));
  });

  it('enrichment within a small rate budget causes no 429: the governor paces it', async () => {
    // 60 detail calls, 32 at a time, against 40 per second: a third of them must wait for the next second.
    const s = await simulator({
      images: 60,
      rateLimit: { list: { limit: 120, windowSec: 60 }, images: { limit: 40, windowSec: 1 } },
      rateLimitMode: 'sliding',
    });
    const file = await config(
      liveConfig(s.url, '  - type: jsonl\n    path: findings.jsonl\n    records: findings\n', '  vulnerabilities: { from: details, concurrency: 32 }\n'),
    );
    const r = await cli(['run', '-c', file, '--json'], { QUALYS_PASSWORD: PASSWORD });
    expect(r.code).toBe(0);
    expect(s.stats.rateLimited).toBe(0);
    expect(s.requests.filter((q) => q.status === 429)).toEqual([]);
    const outcome = JSON.parse(r.stdout) as { enrichment: { calls: number } };
    expect(outcome.enrichment.calls).toBe(s.requests.filter((q) => /^\/csapi\/v1\.3\/images\/[0-9a-f]{64}$/.test(q.path)).length);
  });

  it('with the bulk strategy, image counts come from the findings, never shown as absent or zero', async () => {
    const s = await simulator({ images: 200 });
    const file = await config(liveConfig(s.url, '  - type: jsonl\n    path: images.jsonl\n', '  strategy: bulk\n  vulnerabilities: { from: details }\n'));
    const r = await cli(['run', '-c', file], { QUALYS_PASSWORD: PASSWORD });
    expect(r.code).toBe(0);
    expect(r.stderr).not.toMatch(/severity counts: ABSENT/);
    const bySha = new Map(s.images().map((i) => [i.sha, i]));
    for (const image of await jsonLines('images.jsonl')) {
      const raw = bySha.get(image['sha'] as string)?.vulnerabilities;
      const counts = image['vulnerabilityCounts'] as Record<string, number> | null;
      if (raw === null || raw === undefined) continue;
      expect(counts).not.toBeNull();
      expect(counts?.['severity5Count']).toBe(raw['severity5Count'] ?? 0);
      expect(counts?.['total']).toBe(Object.values(raw).reduce<number>((a, b) => a + (b ?? 0), 0));
    }
  });

  it('the /vuln endpoint adds CVSS v3, customer severity and threat-intel flags', async () => {
    const s = await simulator({ images: 60 });
    const file = await config(liveConfig(s.url, '  - type: jsonl\n    path: findings.jsonl\n    records: findings\n', '  vulnerabilities: { from: vuln }\n'));
    const r = await cli(['run', '-c', file, '-q'], { QUALYS_PASSWORD: PASSWORD });
    expect(r.code).toBe(0);
    const rows = await jsonLines('findings.jsonl');
    expect(rows.some((f) => typeof f['cvss3BaseScore'] === 'number')).toBe(true);
    expect(rows.some((f) => typeof f['customerSeverity'] === 'number')).toBe(true);
    expect(rows.some((f) => (f['threatIntel'] as string[]).length > 0)).toBe(true);
    expect(s.requests.some((q) => q.path.endsWith('/vuln'))).toBe(true);
  });

  it('progress counts enriched images, not the images the source has read ahead', async () => {
    const s = await simulator({ images: 300 });
    const file = await config(
      liveConfig(s.url, '  - type: jsonl\n    path: findings.jsonl\n    records: findings\n', '  vulnerabilities: { from: details }\n'),
    );
    const r = await cli(['run', '-c', file], { QUALYS_PASSWORD: PASSWORD });
    expect(r.code).toBe(0);
    // The source's first page holds 250 images (pageSize 250); enrichment hands on batches of 128 (4 × 32).
    expect(r.stderr).toMatch(/progress: images 128\/300 /);
  });

  it('records: findings without source.vulnerabilities is a config error that says what to add', async () => {
    const file = await config('source:\n  simulator: { images: 10 }\nsinks:\n  - type: csv\n    path: f.csv\n    records: findings\n');
    const r = await cli(['validate', '-c', file]);
    expect(r.code).toBe(2);
    // The plugin names the option that asks for findings, so the message points at that line of the config.
    expect(r.stderr).toMatch(/sinks\[0\]\.records: records: findings needs the vulnerabilities of each image; add source\.vulnerabilities/);
  });
});
