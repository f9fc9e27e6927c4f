import { createHash } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { parse } from 'csv-parse/sync';
import ExcelJS from 'exceljs';
import { describe, expect, it } from 'vitest';
import { startElasticsearchTestServer } from '@qcs-export/elasticsearch-testserver';
import { imageFindings, type QualysSimulator } from '@qcs-export/qualys-simulator';
import type { AnySinkPlugin } from '@qcs-export/core';
import { loadConfig } from '../src/config/load.js';
import { sinkPlugins } from '../src/registry.js';
import { checkComparable } from '../src/run/scheduled-run.js';
import { liveConfig, nextSecond, PASSWORD, useCliHarness } from './support.js';

const h = useCliHarness();
const { cli, simulator, config } = h;
const env = { QUALYS_PASSWORD: PASSWORD };

type Row = Record<string, unknown>;
const jsonLines = async (file: string): Promise<Row[]> =>
  (await readFile(join(h.dir, file), 'utf8'))
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Row);
const csvRows = async (file: string) => {
  const [header, ...rows] = parse(await readFile(join(h.dir, file), 'utf8'), { bom: true }) as string[][];
  return rows.map((r) => Object.fromEntries((header ?? []).map((k, i) => [k, r[i] ?? ''])));
};
const keyOf = (r: Row) => `${String(r['sha'])}/${String(r['qid'])}`;
/** What the server holds now, image × QID, worked out from the simulator's data set, not from the export. */
const serverFindings = (s: QualysSimulator) => new Set(s.images().flatMap((i) => imageFindings(i).map((f) => `${i.sha}/${String(f['qid'])}`)));

/** The pid of a process that has already exited. */
function deadPid(): number {
  return Number(spawnSync(process.execPath, ['-e', 'console.log(process.pid)'], { encoding: 'utf8' }).stdout.trim());
}

const SINKS =
  '  - type: jsonl\n    path: findings.jsonl\n    records: findings\n' +
  '  - type: csv\n    path: findings.csv\n    records: findings\n' +
  '  - type: csv\n    path: packages.csv\n    records: packages\n';
const VULNS = '  vulnerabilities: { from: details }\n';

async function firstWeek(s: QualysSimulator, extra = '') {
  const file = await config(liveConfig(s.url, SINKS, VULNS + extra));
  const r = await cli(['run', '-c', file, '-q', '--manifest', 'out/week1.json'], env);
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  return file;
}

describe('what changed since the last run: run --compare-to MANIFEST (issue 20, point 4)', () => {
  it('a run with a manifest keeps its findings and images beside it, named with their SHA-256 in the manifest', async () => {
    const s = await simulator({ images: 120 });
    await firstWeek(s);
    const manifest = JSON.parse(await readFile(join(h.dir, 'out/week1.json'), 'utf8')) as { findings: Row };
    const gz = await readFile(join(h.dir, 'out/week1.findings.jsonl.gz'));
    expect(manifest.findings).toMatchObject({
      file: 'week1.findings.jsonl.gz',
      sha256: createHash('sha256').update(gz).digest('hex'),
      bytes: gz.length,
      images: 120,
      findings: serverFindings(s).size,
      subscription: { target: s.url.replace(/\/$/, ''), user: 'auditor' },
      filter: null,
    });
    const lines = gunzipSync(gz)
      .toString('utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Row);
    expect(new Set(lines.filter((l) => 'image' in l).map((l) => l['image']))).toEqual(new Set(s.images().map((i) => i.sha)));
    const findings = lines.filter((l) => !('image' in l));
    expect(new Set(findings.map(keyOf))).toEqual(serverFindings(s));
    expect(Object.keys(findings[0] as Row).sort()).toEqual(
      [
        'findingKey',
        'sha',
        'qid',
        'repositories',
        'title',
        'severity',
        'severityLabel',
        'firstFound',
        'lastFound',
        'slaDueAt',
        'fixedVersion',
        'exempted',
      ].sort(),
    );
    // A run not compared with another says so on every finding.
    expect((await jsonLines('findings.jsonl')).every((f) => f['change'] === null)).toBe(true);
  });

  it('the temporary findings file a killed run left beside its manifest is removed by the next run', async () => {
    const s = await simulator({ images: 20 });
    await mkdir(join(h.dir, 'out'));
    const crashed = `.week1.findings.jsonl.gz.${deadPid()}-0123456789ab.partial`;
    await writeFile(join(h.dir, 'out', crashed), 'half a findings file\n');
    const file = await config(liveConfig(s.url, SINKS, VULNS));
    const r = await cli(['run', '-c', file, '--manifest', 'out/week1.json'], env);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain(`removed a temporary file an interrupted run left behind: ${join(h.dir, 'out', crashed)}`);
    expect((await readdir(join(h.dir, 'out'))).sort()).toEqual(['week1.findings.jsonl.gz', 'week1.json']);
  });

  it('a week later: each finding is new or open as a set comparison says, each one gone is fixed once with its old fields, gone images listed', async () => {
    const s = await simulator({ images: 200 });
    const file = await firstWeek(s);
    const before = new Map((await jsonLines('findings.jsonl')).map((f) => [keyOf(f), f]));
    const imagesBefore = new Set(s.images().map((i) => i.sha));
    const removed = s.removeImages(12);
    s.addImages(15);
    s.updateImages(10);
    const now = serverFindings(s);
    const fixedKeys = [...before.keys()].filter((k) => !now.has(k));
    expect(fixedKeys.length).toBeGreaterThan(0);
    expect([...now].some((k) => !before.has(k))).toBe(true);

    const r = await cli(['run', '-c', file, '--json', '--manifest', 'out/week2.json', '--compare-to', 'out/week1.json'], env);
    expect(r.code).toBe(0);
    const rows = await jsonLines('findings.jsonl');
    const current = rows.filter((f) => f['change'] !== 'fixed');
    expect(new Set(current.map(keyOf))).toEqual(now);
    expect(current).toHaveLength(now.size);
    for (const f of current) expect([keyOf(f), f['change']]).toEqual([keyOf(f), before.has(keyOf(f)) ? 'open' : 'new']);
    const fixed = rows.filter((f) => f['change'] === 'fixed');
    expect(fixed.map(keyOf).sort()).toEqual(fixedKeys.sort());
    for (const f of fixed) {
      const was = before.get(keyOf(f)) as Row;
      expect(f).toMatchObject({
        findingKey: was['findingKey'],
        qid: was['qid'],
        repositories: was['repositories'],
        title: was['title'],
        severity: was['severity'],
        severityLabel: was['severityLabel'],
        firstFound: was['firstFound'],
        lastFound: was['lastFound'],
        slaDueAt: was['slaDueAt'],
        fixedVersion: was['fixedVersion'],
        slaStatus: 'n/a',
        daysOverdue: null,
      });
    }

    // CSV, both grains: a Change column after the severity label; a fixed finding is one row at either grain.
    const csv = await csvRows('findings.csv');
    const header = Object.keys(csv[0] as Row);
    expect(header[header.indexOf('Severity Label') + 1]).toBe('Change');
    expect(
      csv
        .filter((c) => c['Change'] === 'fixed')
        .map((c) => `${c['Image SHA']}/${c['QID']}`)
        .sort(),
    ).toEqual(fixedKeys.sort());
    for (const c of csv.filter((c) => c['Change'] !== 'fixed')) {
      const key = `${c['Image SHA']}/${c['QID']}`;
      expect([key, c['Change']]).toEqual([key, before.has(key) ? 'open' : 'new']);
    }
    const packages = await csvRows('packages.csv');
    expect(packages.filter((c) => c['Change'] === 'fixed')).toHaveLength(fixedKeys.length);
    // At the packages grain a row's change is its finding's (image × QID).
    for (const c of packages.filter((c) => c['Change'] !== 'fixed')) {
      const key = `${c['Image SHA']}/${c['QID']}`;
      expect([key, c['Change']]).toEqual([key, before.has(key) ? 'open' : 'new']);
    }

    const outcome = JSON.parse(r.stdout) as { compare: Row; sinks: Row[] };
    const gone = removed.filter((sha) => imagesBefore.has(sha));
    expect(outcome.compare).toMatchObject({
      new: [...now].filter((k) => !before.has(k)).length,
      open: [...now].filter((k) => before.has(k)).length,
      fixed: fixedKeys.length,
      imagesGone: gone.length,
    });
    expect(new Set(outcome.compare['goneImages'] as string[])).toEqual(new Set(gone));
    // Every sink accounts for the fixed rows it was given.
    expect(outcome.sinks[0]).toMatchObject({ records: rows.length, delivered: rows.length });
    const manifest = JSON.parse(await readFile(join(h.dir, 'out/week2.json'), 'utf8')) as { compare: Row };
    expect(manifest.compare).toMatchObject({ fixed: fixedKeys.length, imagesGone: gone.length, manifest: join(h.dir, 'out/week1.json') });
  });

  it('the summary on stderr says what is new, still open and fixed, and which images are gone', async () => {
    const s = await simulator({ images: 60 });
    const file = await firstWeek(s);
    const [removed] = s.removeImages(1);
    const r = await cli(['run', '-c', file, '--manifest', 'out/week2.json', '--compare-to', 'out/week1.json'], env);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/since .*week1\.json \(.*\): [\d,]+ new findings, [\d,]+ still open, [\d,]+ fixed · 1 image gone: /);
    expect(r.stderr).toContain(removed);
  });

  it('week after week with one manifest name: each run is compared with the last, then takes its place', async () => {
    const s = await simulator({ images: 80 });
    const file = await config(liveConfig(s.url, SINKS, VULNS));
    const week = (extra: string[]) => cli(['run', '-c', file, '-q', '--json', '--manifest', 'out/latest.json', ...extra], env);
    expect((await week([])).code).toBe(0);
    const first = new Set((await jsonLines('findings.jsonl')).map(keyOf));
    s.removeImages(5);
    s.addImages(5);
    const second = await week(['--compare-to', 'out/latest.json']);
    expect(second.code).toBe(0);
    const afterSecond = serverFindings(s);
    const rows2 = await jsonLines('findings.jsonl');
    expect(new Set(rows2.filter((f) => f['change'] === 'fixed').map(keyOf))).toEqual(new Set([...first].filter((k) => !afterSecond.has(k))));
    // The third week compares with the second, not the first: what was fixed then is not fixed again.
    s.removeImages(3);
    const third = await week(['--compare-to', 'out/latest.json']);
    expect(third.code).toBe(0);
    const rows3 = await jsonLines('findings.jsonl');
    const now = serverFindings(s);
    expect(new Set(rows3.filter((f) => f['change'] === 'fixed').map(keyOf))).toEqual(new Set([...afterSecond].filter((k) => !now.has(k))));
    expect(rows3.filter((f) => f['change'] === 'new')).toEqual([]);
    expect((JSON.parse(third.stdout) as { compare: Row }).compare).toMatchObject({ new: 0, open: now.size, imagesGone: 3 });
  });

  it('the workbook: Change on the Findings sheet, a Changes sheet of the new and fixed findings newest first, and the Summary counts them', async () => {
    const s = await simulator({ images: 100 });
    await firstWeek(s);
    const before = new Set((await jsonLines('findings.jsonl')).map(keyOf));
    s.removeImages(6);
    s.addImages(6);
    const now = serverFindings(s);
    const workbook = `${SINKS}  - type: excel\n    path: weekly.xlsx\n    records: [images, findings]\n`;
    const compared = await config(liveConfig(s.url, workbook, VULNS));
    const r = await cli(['run', '-c', compared, '-q', '--compare-to', 'out/week1.json'], env);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const book = new ExcelJS.Workbook();
    await book.xlsx.readFile(join(h.dir, 'weekly.xlsx'));
    const rowsOf = (name: string) => {
      const rows: unknown[][] = [];
      book.getWorksheet(name)?.eachRow((row) => rows.push((row.values as unknown[]).slice(1)));
      return rows;
    };
    const [header, ...findings] = rowsOf('Findings');
    const at = (name: string) => (header as unknown[]).indexOf(name);
    expect(at('Change')).toBe(at('Severity Label') + 1);
    const byChange = (change: string) => findings.filter((f) => f[at('Change')] === change).map((f) => `${String(f[at('Image SHA')])}/${String(f[at('QID')])}`);
    const fixedKeys = [...before].filter((k) => !now.has(k));
    const newKeys = [...now].filter((k) => !before.has(k));
    expect(byChange('fixed').sort()).toEqual(fixedKeys.sort());
    expect(byChange('new').sort()).toEqual(newKeys.sort());
    expect(byChange('open')).toHaveLength(now.size - newKeys.length);

    const [changesHeader, ...changes] = rowsOf('Changes');
    expect(changesHeader?.slice(0, 4)).toEqual(['Change', 'Since', 'Repositories', 'QID']);
    expect(changes.map((c) => `${String(c[0])} ${String(c[8])}/${String(c[3])}`).sort()).toEqual(
      [...fixedKeys.map((k) => `fixed ${k}`), ...newKeys.map((k) => `new ${k}`)].sort(),
    );
    const since = changes.map((c) => (c[1] as Date).getTime());
    expect(since).toEqual([...since].sort((a, b) => b - a));
    // Printed like a data sheet: one page wide, as many tall as the rows need, the header on every page.
    expect(book.getWorksheet('Changes')?.pageSetup).toMatchObject({ fitToWidth: 1, fitToHeight: 0, orientation: 'landscape' });

    const summary = rowsOf('Summary');
    const value = (label: string) => summary.find((row) => row[0] === label)?.[1];
    expect([value('New findings'), value('Still open'), value('Fixed')]).toEqual([newKeys.length, now.size - newKeys.length, fixedKeys.length]);
  });

  it('Elasticsearch: every finding document carries qualys_cs.change, the fixed ones (also of an image still there) with their previous fields', async () => {
    const es = await startElasticsearchTestServer();
    try {
      const s = await simulator({ images: 60 });
      const sinks = `${SINKS}  - type: elasticsearch\n    node: ${es.url}\n    index: fnd\n    records: findings\n`;
      const file = await config(liveConfig(s.url, sinks, VULNS));
      expect((await cli(['run', '-c', file, '-q', '--manifest', 'out/week1.json'], env)).code).toBe(0);
      const before = new Map((await jsonLines('findings.jsonl')).map((f) => [keyOf(f), f]));
      // One finding of an image that stays is fixed by a rescan, and some images are gone with all of theirs.
      type Counts = Record<string, number>;
      const partly = s.images().find((i) => ((i.vulnerabilities as Counts | null)?.['severity1Count'] ?? 0) >= 1);
      if (!partly) throw new Error('no image with a severity-1 finding');
      (partly.vulnerabilities as Counts)['severity1Count'] = ((partly.vulnerabilities as Counts)['severity1Count'] ?? 1) - 1;
      s.removeImages(4);
      const now = serverFindings(s);
      const second = await cli(['run', '-c', file, '-q', '--compare-to', 'out/week1.json'], env);
      expect(second.stderr).toBe('');
      expect(second.code).toBe(0);
      type Doc = { resource: { id: string }; vulnerability: { title: string }; qualys_cs: { qid: number; change: string; first_found: string } };
      const docs = [...es.documents('fnd').values()].map((d) => d._source as Doc);
      const keys = (change: string) => docs.filter((d) => d.qualys_cs.change === change).map((d) => `${d.resource.id}/${d.qualys_cs.qid}`);
      const fixed = [...before.keys()].filter((k) => !now.has(k));
      expect(fixed.some((k) => k.startsWith(`${partly.sha}/`))).toBe(true);
      expect(keys('fixed').sort()).toEqual(fixed.sort());
      expect(keys('open').sort()).toEqual([...now].filter((k) => before.has(k)).sort());
      expect(keys('new')).toEqual([]);
      for (const d of docs.filter((d) => d.qualys_cs.change === 'fixed')) {
        const was = before.get(`${d.resource.id}/${d.qualys_cs.qid}`) as Row;
        expect([d.vulnerability.title, d.qualys_cs.first_found]).toEqual([was['title'], was['firstFound']]);
      }
    } finally {
      await es.close();
    }
  });

  describe('a run that cannot be compared fails as a config error (exit 2), replacing nothing', () => {
    async function refused(s: QualysSimulator, file: string, prepare: () => Promise<void>, message: RegExp) {
      await prepare();
      const outputs = ['findings.jsonl', 'findings.csv', 'packages.csv', 'out/week1.json', 'out/week1.findings.jsonl.gz'];
      const digests = () =>
        Promise.all(
          outputs.map(async (o) =>
            createHash('sha256')
              .update(await readFile(join(h.dir, o)))
              .digest('hex'),
          ),
        );
      const was = await digests();
      s.removeImages(3);
      const r = await cli(['run', '-c', file, '--compare-to', 'out/week1.json'], env);
      expect(r.stderr).toMatch(message);
      expect(r.stderr).toContain('QCS_CONFIG_INVALID');
      expect(r.code).toBe(2);
      // No output replaced, and the run compared with is left as it was.
      expect(await digests()).toEqual(was);
    }

    it('a missing manifest', async () => {
      const s = await simulator({ images: 40 });
      const file = await firstWeek(s);
      const r = await cli(['run', '-c', file, '--compare-to', 'out/no-such.json'], env);
      expect(r.stderr).toMatch(/--compare-to .*no-such\.json: no such file/);
      expect(r.code).toBe(2);
    });

    it('a findings file that is not the one the manifest names (its hash differs)', async () => {
      const s = await simulator({ images: 40 });
      const file = await firstWeek(s);
      await refused(
        s,
        file,
        async () => {
          const path = join(h.dir, 'out/week1.findings.jsonl.gz');
          const gz = await readFile(path);
          gz[gz.length - 10] = (gz[gz.length - 10] as number) ^ 0xff;
          await writeFile(path, gz);
        },
        /week1\.findings\.jsonl\.gz is not the one the manifest names \(SHA-256/,
      );
    });

    it('a run with another filter', async () => {
      const s = await simulator({ images: 40 });
      await firstWeek(s);
      const other = await config(liveConfig(s.url, SINKS, `${VULNS}  filter: "repo.tag:latest"\n`));
      await refused(s, other, async () => undefined, /is of a run with another filter \(none; this run's is "repo\.tag:latest"\)/);
    });

    it('another subscription (another base URL)', async () => {
      const s = await simulator({ images: 40 });
      await firstWeek(s);
      const elsewhere = liveConfig(s.url.replace('127.0.0.1', 'localhost'), SINKS, VULNS);
      const other = await config(elsewhere);
      await refused(
        s,
        other,
        async () => undefined,
        /is of another subscription \(http:\/\/127\.0\.0\.1:\d+ as auditor; this run reads http:\/\/localhost:\d+ as auditor\)/,
      );
    });

    it('a manifest of a run that kept no findings', async () => {
      const s = await simulator({ images: 40 });
      const file = await config(liveConfig(s.url, '  - type: jsonl\n    path: images.jsonl\n'));
      expect((await cli(['run', '-c', file, '-q', '--manifest', 'out/images.json'], env)).code).toBe(0);
      const withFindings = await config(liveConfig(s.url, SINKS, VULNS));
      const r = await cli(['run', '-c', withFindings, '--compare-to', 'out/images.json'], env);
      expect(r.stderr).toMatch(/images\.json: names no findings file/);
      expect(r.code).toBe(2);
    });

    it('an incremental run: a comparison needs every image, so it asks for --full-refresh', async () => {
      const s = await simulator({ images: 40 });
      const sink = '  - type: jsonl\n    path: out/findings-{datetime}.jsonl\n    records: findings\n';
      const file = await config(liveConfig(s.url, sink, `${VULNS}run:\n  state: state/qcs.json\n`));
      expect((await cli(['run', '-c', file, '-q', '--manifest', 'out/week1.json'], env)).code).toBe(0);
      await nextSecond();
      const r = await cli(['run', '-c', file, '--compare-to', 'out/week1.json'], env);
      expect(r.stderr).toMatch(/--compare-to compares a full run, but the state plans an incremental one/);
      expect(r.stderr).toMatch(/--full-refresh/);
      expect(r.code).toBe(2);
      const full = await cli(['run', '-c', file, '-q', '--full-refresh', '--compare-to', 'out/week1.json'], env);
      expect(full.code).toBe(0);
      const files = (await readdir(join(h.dir, 'out'))).filter((f) => f.startsWith('findings-')).sort();
      expect(files).toHaveLength(2);
      const rows = await jsonLines(`out/${files[1] as string}`);
      expect(rows.length).toBeGreaterThan(0);
      expect(rows.every((f) => f['change'] === 'open')).toBe(true);
    });

    it('a findings sink that cannot write fixed findings, named (a plugin that declares none; every built-in findings sink takes them)', async () => {
      const s = await simulator({ images: 40 });
      // JSON Lines, and a CSV sink whose plugin is made to declare nothing about fixed findings below.
      const sinks =
        '  - type: jsonl\n    path: findings.jsonl\n    records: findings\n  - type: csv\n    name: ledger\n    path: ledger.csv\n    records: findings\n';
      const file = await config(liveConfig(s.url, sinks, VULNS));
      const loaded = await loadConfig(file, sinkPlugins, env);
      const csv = sinkPlugins.get('csv') as AnySinkPlugin;
      const withoutFixed = new Map(sinkPlugins);
      withoutFixed.set('csv', { ...csv, takesFixedFindings: undefined });
      expect(() => checkComparable(loaded, withoutFixed, '--compare-to')).toThrow(/sink "ledger" \(csv\) cannot write the fixed findings of a compared run/);
      expect(() => checkComparable(loaded, sinkPlugins, '--compare-to')).not.toThrow();
    });
  });
});
