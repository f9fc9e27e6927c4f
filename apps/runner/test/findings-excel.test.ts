import { mkdir, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import ExcelJS from 'exceljs';
import { describe, expect, it } from 'vitest';
import { imageFindings } from '@qcs-export/qualys-simulator';
import { liveConfig, PASSWORD, useCliHarness } from './support.js';

const h = useCliHarness();
const DAY = 86_400_000;

async function sheetRows(file: string, name: string): Promise<unknown[][]> {
  const workbook = new ExcelJS.Workbook();
  await workbook.xlsx.readFile(join(h.dir, file));
  const sheet = workbook.getWorksheet(name);
  if (!sheet) throw new Error(`no sheet ${name}; sheets: ${workbook.worksheets.map((w) => w.name).join(', ')}`);
  const rows: unknown[][] = [];
  sheet.eachRow((row) => rows.push((row.values as unknown[]).slice(1)));
  return rows;
}

describe('Excel with findings (issue 11)', () => {
  it('a Findings sheet with every (image, QID) once, an SLA sheet that agrees with an independent count, and top QIDs', async () => {
    const s = await h.simulator({ images: 120 });
    const file = await h.config(
      liveConfig(s.url, '  - type: excel\n    path: evidence.xlsx\n    records: [images, findings]\n', '  vulnerabilities: { from: details }\n'),
    );
    const before = Date.now();
    const r = await h.cli(['run', '-c', file], { QUALYS_PASSWORD: PASSWORD });
    expect(r.code).toBe(0);
    const findings = s.images().flatMap((i) =>
      imageFindings(i).map((f) => ({
        sha: i.sha,
        qid: f['qid'] as number,
        severity: f['severity'] as number,
        first: Number(f['firstFound']),
        exempted: f['isExempted'] === true,
      })),
    );

    const [header, ...rows] = await sheetRows('evidence.xlsx', 'Findings');
    const sha = (header ?? []).indexOf('Image SHA');
    const qid = (header ?? []).indexOf('QID');
    expect(rows.map((row) => `${String(row[sha])}/${String(row[qid])}`).sort()).toEqual(findings.map((f) => `${f.sha}/${f.qid}`).sort());

    // The SLA sheet, recomputed from the server's findings with the default policy; excepted findings counted apart.
    const policy: Record<number, number> = { 5: 30, 4: 30, 3: 90, 2: 180, 1: 180 };
    const [, ...sla] = await sheetRows('evidence.xlsx', 'SLA');
    for (const severity of [5, 4, 3, 2, 1]) {
      const all = findings.filter((f) => f.severity === severity);
      const mine = all.filter((f) => !f.exempted);
      const row = sla.find((x) => String(x[0]).startsWith(`${severity} `));
      if (all.length === 0) continue;
      const breached = mine.filter((f) => f.first + (policy[severity] as number) * DAY < before).length;
      expect(row?.slice(1, 4)).toEqual([policy[severity], mine.length, breached]);
      expect(row?.[8], `severity ${severity} exempted`).toBe(all.length - mine.length);
    }

    // The Summary names the QID that affects the most images (QIDs are distinct per image here).
    const summary = (await sheetRows('evidence.xlsx', 'Summary')).map((row) => row.map(String));
    const at = summary.findIndex((row) => row[0] === 'Vulnerabilities affecting the most images');
    expect(at).toBeGreaterThan(0);
    const perQid = new Map<number, number>();
    for (const f of findings) perQid.set(f.qid, (perQid.get(f.qid) ?? 0) + 1);
    const most = Math.max(...perQid.values());
    expect(Number(summary[at + 2]?.[3])).toBe(most);

    // The Summary counts by SLA status, excepted findings apart (issue 20, point 2).
    const status = summary.findIndex((row) => row[0] === 'Findings by SLA status');
    const counted = Object.fromEntries(summary.slice(status + 2, status + 6).map((row) => [row[0], Number(row[1])]));
    const exempted = findings.filter((f) => f.exempted).length;
    const breached = findings.filter((f) => !f.exempted && f.first + (policy[f.severity] as number) * DAY < before).length;
    expect(exempted).toBeGreaterThan(0);
    expect(counted).toEqual({ breached, within: findings.length - exempted - breached, exempted, 'n/a': 0 });
  });

  it('leaves no spool file behind after the run', async () => {
    // A temporary directory of the run's own: other tests' workbooks spool into the shared one at the same time.
    const tmp = join(h.dir, 'tmp');
    await mkdir(tmp);
    const s = await h.simulator({ images: 30 });
    const file = await h.config(
      liveConfig(s.url, '  - type: excel\n    path: e.xlsx\n    records: [images, packages]\n', '  vulnerabilities: { from: details }\n'),
    );
    expect((await h.cli(['run', '-c', file, '-q'], { QUALYS_PASSWORD: PASSWORD, TMPDIR: tmp })).code).toBe(0);
    expect(await readdir(tmp)).toEqual([]);
  });

  it('findings: without source.vulnerabilities is a config error', async () => {
    const file = await h.config('source:\n  simulator: { images: 5 }\nsinks:\n  - type: excel\n    path: e.xlsx\n    findings: findings\n');
    const r = await h.cli(['validate', '-c', file]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/sinks\[0\]\.findings: this sink needs the vulnerabilities of each image; add source\.vulnerabilities/);
  });

  it('findings: without source.vulnerabilities is a config error, pointing at records when that is what asks', async () => {
    const file = await h.config('source:\n  simulator: { images: 5 }\nsinks:\n  - type: excel\n    path: e.xlsx\n    records: packages\n');
    const r = await h.cli(['validate', '-c', file]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/sinks\[0\]\.records: this sink needs the vulnerabilities of each image/);
  });
});

describe('one way to pick what a workbook holds: records (issue 20, point 6)', () => {
  const vulnerabilities = '  vulnerabilities: { from: details }\n';
  const sheetNames = async (name: string) => {
    const workbook = new ExcelJS.Workbook();
    await workbook.xlsx.readFile(join(h.dir, name));
    return workbook.worksheets.map((w) => w.name);
  };

  it('records: findings gives the Findings, SLA and Summary sheets and no Images sheet; the run counts finding rows', async () => {
    const s = await h.simulator({ images: 80 });
    const file = await h.config(liveConfig(s.url, '  - type: excel\n    path: f.xlsx\n    records: findings\n', vulnerabilities));
    const r = await h.cli(['run', '-c', file, '--json'], { QUALYS_PASSWORD: PASSWORD });
    expect(r.code, r.stderr).toBe(0);
    expect(await sheetNames('f.xlsx')).toEqual(['Findings', 'SLA', 'Summary']);
    const expected = s.images().reduce((n, i) => n + imageFindings(i).length, 0);
    const [, ...rows] = await sheetRows('f.xlsx', 'Findings');
    expect(rows).toHaveLength(expected);
    // Delivered and written at the workbook's grain: the run's own check of records + rejected against delivered.
    const summary = JSON.parse(r.stdout) as { sinks: Array<{ type: string; records: number; delivered?: number }> };
    expect(summary.sinks[0]).toMatchObject({ type: 'excel', records: expected });
  });

  it('records: [images, findings] gives both; records: images (the default) the Images sheets alone', async () => {
    const s = await h.simulator({ images: 40 });
    const file = await h.config(
      liveConfig(
        s.url,
        '  - type: excel\n    path: both.xlsx\n    records: [images, findings]\n  - type: excel\n    path: images.xlsx\n    records: images\n',
        vulnerabilities,
      ),
    );
    const r = await h.cli(['run', '-c', file, '-q'], { QUALYS_PASSWORD: PASSWORD });
    expect(r.code, r.stderr).toBe(0);
    expect(await sheetNames('both.xlsx')).toEqual(['Images', 'Findings', 'SLA', 'Summary']);
    expect(await sheetNames('images.xlsx')).toEqual(['Images', 'Summary']);
  });

  it('the old findings: option still works, with a warning that says what to write instead; validate says it too', async () => {
    const s = await h.simulator({ images: 40 });
    const file = await h.config(liveConfig(s.url, '  - type: excel\n    path: old.xlsx\n    findings: findings\n', vulnerabilities));
    const r = await h.cli(['run', '-c', file], { QUALYS_PASSWORD: PASSWORD });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/warn: sinks\[0\] \(excel\): `findings: findings` is deprecated; write `records: \[images, findings\]`/);
    expect(await sheetNames('old.xlsx')).toEqual(['Images', 'Findings', 'SLA', 'Summary']);
    const v = await h.cli(['validate', '-c', file], { QUALYS_PASSWORD: PASSWORD });
    expect(v.code).toBe(0);
    expect(v.stdout).toMatch(/⚠ sinks\[0\] \(excel\): `findings: findings` is deprecated/);
  });

  it('a workbook holds findings or packages, not both', async () => {
    const file = await h.config('source:\n  simulator: { images: 5 }\nsinks:\n  - type: excel\n    path: e.xlsx\n    records: [findings, packages]\n');
    const r = await h.cli(['validate', '-c', file]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/records: a workbook holds findings or packages, not both/);
  });
});
