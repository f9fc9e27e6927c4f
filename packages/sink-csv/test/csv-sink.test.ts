import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { afterEach, describe, expect, it } from 'vitest';
import type { ImageRecord } from '@qcs-export/core';
import { fileSnapshot, HOSTILE_VALUES, makeRunContext, makeTestRecords, obstructPublish, runSinkContract } from '@qcs-export/sink-testkit';
import { csvSink } from '../src/index.js';

/** The contract's columns: where hostile values land, and a number; each header is the name readBack() gives. */
const CONTRACT_COLUMNS = [
  { path: 'sha', header: 'sha' },
  { path: 'repo', header: 'repo' },
  { path: 'labels', header: 'labels' },
  { path: 'scanErrorMessage', header: 'scanErrorMessage' },
  { path: 'vulnerabilityCounts.severity5Count', header: 'severity5' },
];
// NUL is dropped; a cell starting like a formula gets a leading apostrophe (escapeFormulas, the default).
const csvText = (v: string) => v.replaceAll('\u0000', '');
const formulaSafe = (v: string) => (/^[=+\-@\t\r]/.test(v) ? `'${v}` : v);

const parseCsv = (text: string, delimiter = ','): string[][] => parse(text, { bom: true, delimiter, relax_column_count: false }) as string[][];

runSinkContract({
  name: 'csv',
  commit: csvSink.commit(csvSink.options.parse({ path: 'images.csv' })),
  // Written independently of the sink's code: what a spreadsheet reading the file should see in each cell.
  expected: (r) => ({
    sha: r.sha,
    repo: r.repo
      .map((t) => `${t.registry}/${t.repository}:${t.tag}`)
      .map(csvText)
      .join('; '),
    labels: r.labels
      .map((l) => `${l.key}=${l.value}`)
      .map(csvText)
      .join('; '),
    scanErrorMessage: formulaSafe(csvText(r.scanErrorMessage ?? '')),
    severity5: r.vulnerabilityCounts === null ? '' : String(r.vulnerabilityCounts.severity5Count),
  }),
  async setup() {
    const dir = await mkdtemp(join(tmpdir(), 'qcs-csv-'));
    const path = join(dir, 'images.csv');
    const create = () => csvSink.create(csvSink.options.parse({ path, columns: CONTRACT_COLUMNS }), makeRunContext({ baseDir: dir }));
    return {
      sink: create(),
      another: create,
      snapshot: () => fileSnapshot(dir),
      obstructPublish: () => obstructPublish(path),
      async readBack() {
        const [header, ...rows] = parseCsv(await readFile(path, 'utf8'));
        return rows.map((r) => Object.fromEntries((header ?? []).map((h, i) => [h, r[i]])) as { sha: string } & Record<string, string>);
      },
      leftovers: () => readdir(dir),
      teardown: () => rm(dir, { recursive: true, force: true }),
    };
  },
});

describe('csv sink', () => {
  let dir: string;
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  async function write(options: Record<string, unknown>, records: readonly ImageRecord[]): Promise<{ text: string; raw: Buffer }> {
    dir = await mkdtemp(join(tmpdir(), 'qcs-csv-'));
    const sink = csvSink.create(csvSink.options.parse({ path: 'out.csv', ...options }), makeRunContext({ baseDir: dir }));
    await sink.open();
    for (let i = 0; i < records.length; i += 7) await sink.write(records.slice(i, i + 7));
    await sink.close();
    const raw = await readFile(join(dir, 'out.csv'));
    return { raw, text: raw.toString('utf8') };
  }

  it('writes the compliance columns with values formatted for people, cell by cell', async () => {
    const [record] = makeTestRecords(2);
    const r = record as ImageRecord;
    const { text } = await write({}, [r]);
    const [header, row] = parseCsv(text);
    // The workbook's reading order (core's default), so a CSV and a workbook of one run line up column for column.
    expect(header).toEqual([
      'Repositories',
      'Severity 5 CRITICAL',
      'Severity 4 HIGH',
      'Severity 3 MEDIUM',
      'Severity 2 LOW',
      'Severity 1 INFO',
      'Vulnerabilities (total)',
      'Risk Score',
      'QDS Rating',
      'Last Scanned',
      'Created',
      'Updated',
      'Size (bytes)',
      'Scan Status',
      'Scan Types',
      'Last Host',
      'Last Host IP',
      'Compliance Pass',
      'Compliance Fail',
      'Containers',
      'Hosts',
      'Image SHA',
      'Image ID',
      'Digests',
    ]);
    const cell = (name: string) => row?.[(header ?? []).indexOf(name)];
    expect(cell('Image SHA')).toBe(r.sha);
    expect(cell('Repositories')).toBe(r.repo.map((t) => `${t.registry}/${t.repository}:${t.tag}`).join('; '));
    expect(cell('Digests')).toBe(r.repoDigests.map((d) => `${d.registry}/${d.repository}@sha256:${d.digest}`).join('; '));
    expect(cell('Created')).toBe(r.created);
    expect(cell('Last Scanned')).toBe(r.lastVmScanDate);
    expect(cell('Size (bytes)')).toBe(String(r.size));
    expect(cell('Severity 5 CRITICAL')).toBe(String(r.vulnerabilityCounts?.severity5Count));
    expect(cell('Vulnerabilities (total)')).toBe(String(r.vulnerabilityCounts?.total));
    expect(cell('Scan Types')).toBe(r.scanTypes.join('; '));
    expect(cell('Compliance Fail')).toBe(String(r.compliance?.failCount));
    expect(cell('Last Host')).toBe(r.lastFoundOnHost?.hostname ?? '');
  });

  it('starts with a UTF-8 BOM and ends lines with CRLF by default; both can be turned off', async () => {
    const records = makeTestRecords(3);
    const a = await write({}, records);
    expect([...a.raw.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    expect(a.text.split('\r\n')).toHaveLength(5);
    await rm(dir, { recursive: true, force: true });
    const b = await write({ bom: false, lineEnding: 'lf', delimiter: ';' }, records);
    expect(b.raw[0]).not.toBe(0xef);
    expect(b.text).not.toContain('\r\n');
    expect(parseCsv(b.text, ';')[1]?.at(-3)).toBe(records[0]?.sha);
  });

  it('never lets a value become a formula, keeps numbers as numbers, strips NUL, and round-trips quotes, commas and newlines', async () => {
    const records = makeTestRecords(HOSTILE_VALUES.length, { hostile: true });
    const base = records[0] as ImageRecord;
    const negative: ImageRecord = { ...base, sha: 'f'.repeat(64), extra: { n: -5 } };
    const { text } = await write({ columns: ['sha', 'scanErrorMessage', 'riskScore', 'extra.n'] }, [...records, negative]);
    const rows = parseCsv(text).slice(1);
    const message = (i: number) => rows[i]?.[1];
    const expected = (v: string) => {
      const clean = v.replace(/\u0000/g, '');
      return /^[=+\-@\t\r]/.test(clean) ? `'${clean}` : clean;
    };
    for (const [i, v] of HOSTILE_VALUES.entries()) expect(message(i), JSON.stringify(v).slice(0, 40)).toBe(expected(v));
    expect(message(0)).toBe(`'=HYPERLINK("http://evil.example","click")`);
    expect(message(8)).toBe('nulbyte');
    expect(message(5)).toBe('line one\r\nline two\nline three');
    expect(message(10)).toHaveLength(40_000);
    expect(rows.at(-1)?.[3]).toBe('-5');
    expect(rows[1]?.[2]).toBe(String(records[1]?.riskScore ?? ''));
  });

  it('writes formulas through unchanged only when escapeFormulas is turned off', async () => {
    const records = makeTestRecords(1, { hostile: true });
    const { text } = await write({ columns: ['scanErrorMessage'], escapeFormulas: false }, records);
    expect(parseCsv(text)[1]?.[0]).toBe(HOSTILE_VALUES[0]);
  });

  it('takes user columns as dot paths with optional headers, through arrays and into extra', async () => {
    const records = makeTestRecords(8);
    const { text } = await write(
      { columns: ['sha', { path: 'riskScore', header: 'Risk' }, 'repo.tag', 'extra.sbomSummary.packages', 'labels'], joinWith: ' | ' },
      records,
    );
    const [header, first] = parseCsv(text);
    expect(header).toEqual(['Image SHA', 'Risk', 'repo.tag', 'extra.sbomSummary.packages', 'Labels']);
    const r = records[0] as ImageRecord;
    expect(first?.[2]).toBe(r.repo.map((t) => t.tag).join(' | '));
    expect(first?.[3]).toBe(String((r.extra['sbomSummary'] as { packages: number }).packages));
  });

  it('an empty export is a header-only file', async () => {
    const { text } = await write({}, []);
    expect(parseCsv(text)).toHaveLength(1);
  });

  it('rejects an unknown column path at config time, naming it', () => {
    const r = csvSink.options.safeParse({ path: 'x.csv', columns: ['sha', 'riskscore'] });
    expect(r.success).toBe(false);
    expect(r.error?.issues[0]?.message).toMatch(/unknown column "riskscore"/);
    expect(r.error?.issues[0]?.path).toEqual(['columns']);
  });
});
