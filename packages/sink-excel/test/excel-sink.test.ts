import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import ExcelJS from 'exceljs';
import { afterEach, describe, expect, it } from 'vitest';
import { buildColumns, DEFAULT_COLUMNS, type ImageRecord } from '@qcs-export/core';
import { csvSink } from '@qcs-export/sink-csv';
import { fileSnapshot, HOSTILE_VALUES, makeRunContext, makeTestRecords, obstructPublish, runSinkContract } from '@qcs-export/sink-testkit';
import { createExcelSink, EXCEL_MAX_DATA_ROWS, excelSink } from '../src/index.js';
import { dataSheets, readWorkbook, sheetValues } from './read-back.js';

/** The contract's columns: where hostile values land, and a number; each header is the name readBack() gives. */
const CONTRACT_COLUMNS = [
  { path: 'sha', header: 'sha' },
  { path: 'repo', header: 'repo' },
  { path: 'labels', header: 'labels' },
  { path: 'scanErrorMessage', header: 'scanErrorMessage' },
  { path: 'vulnerabilityCounts.severity5Count', header: 'severity5' },
];
const EXCEL_CELL_LIMIT = 32_767;
function excelText(value: string): string | null {
  if (value === '') return null;
  const clean = value.replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f]/g, '').replace(/\r\n?/g, '\n');
  if (clean.length <= EXCEL_CELL_LIMIT) return clean;
  const marker = ` … [cut: ${clean.length.toLocaleString('en-US')} characters, Excel holds 32,767]`;
  return clean.slice(0, EXCEL_CELL_LIMIT - marker.length) + marker;
}

runSinkContract({
  name: 'excel',
  commit: excelSink.commit(excelSink.options.parse({ path: 'images.xlsx' })),
  // What openpyxl or Excel should read in each cell: text without the characters XML cannot carry, CR as LF, cut to
  // Excel's 32,767 characters with a marker; no formula escaping (a string cell is never a formula); numbers as numbers.
  expected: (r) => ({
    sha: r.sha,
    repo: excelText(r.repo.map((t) => `${t.registry}/${t.repository}:${t.tag}`).join('; ')),
    labels: excelText(r.labels.map((l) => `${l.key}=${l.value}`).join('; ')),
    scanErrorMessage: excelText(r.scanErrorMessage ?? ''),
    severity5: r.vulnerabilityCounts?.severity5Count ?? null,
  }),
  async setup() {
    const dir = await mkdtemp(join(tmpdir(), 'qcs-xlsx-'));
    const path = join(dir, 'images.xlsx');
    const create = () => excelSink.create(excelSink.options.parse({ path, columns: CONTRACT_COLUMNS }), makeRunContext({ baseDir: dir }));
    return {
      sink: create(),
      another: create,
      snapshot: () => fileSnapshot(dir),
      obstructPublish: () => obstructPublish(path),
      async readBack() {
        const workbook = await readWorkbook(path);
        return dataSheets(workbook).flatMap((sheet) => {
          const [header, ...rows] = sheetValues(sheet);
          return rows.map((row) => Object.fromEntries((header ?? []).map((h, i) => [h, row[i]])) as { sha: string } & Record<string, unknown>);
        });
      },
      leftovers: () => readdir(dir),
      teardown: () => rm(dir, { recursive: true, force: true }),
    };
  },
});

// The default set in reading order: what a person reads first, the long hex identifiers last.
const HEADERS = [
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
];
const DATE_HEADERS = new Set(['Created', 'Updated', 'Last Scanned']);
const NUMBER_HEADERS = new Set([
  'Size (bytes)',
  'Severity 1 INFO',
  'Severity 2 LOW',
  'Severity 3 MEDIUM',
  'Severity 4 HIGH',
  'Severity 5 CRITICAL',
  'Vulnerabilities (total)',
  'Risk Score',
  'Compliance Pass',
  'Compliance Fail',
  'Containers',
  'Hosts',
]);
/** 1-based column of a default header. */
const col = (header: string) => HEADERS.indexOf(header) + 1;

/** What Excel must show for a text value: XML-illegal controls gone, CR as LF, cut at 32,767 with a marker. */
function expectedText(value: string): string | RegExp {
  // eslint-disable-next-line no-control-regex
  const clean = value.replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f]/g, '').replace(/\r\n?/g, '\n');
  return clean.length > 32_767
    ? new RegExp(`^${clean.slice(0, 100)}A* … \\[cut: ${clean.length.toLocaleString('en-US')} characters, Excel holds 32,767\\]$`)
    : clean;
}

describe('excel sink', () => {
  let dir: string;
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  async function write(
    options: Record<string, unknown>,
    records: readonly ImageRecord[],
    ctx = {},
  ): Promise<{ workbook: ExcelJS.Workbook; path: string; summary: Awaited<ReturnType<ReturnType<typeof excelSink.create>['close']>> }> {
    dir = await mkdtemp(join(tmpdir(), 'qcs-xlsx-'));
    const sink = excelSink.create(excelSink.options.parse({ path: 'out.xlsx', ...options }), makeRunContext({ baseDir: dir, ...ctx }));
    await sink.open();
    for (let i = 0; i < records.length; i += 7) await sink.write(records.slice(i, i + 7));
    const summary = await sink.close();
    const path = join(dir, 'out.xlsx');
    return { workbook: await readWorkbook(path), path, summary };
  }

  it('writes the compliance columns with real dates, numbers and text, cell by cell', async () => {
    const records = makeTestRecords(30);
    const { workbook } = await write({}, records);
    const [sheet] = dataSheets(workbook);
    const [header, ...rows] = sheetValues(sheet as ExcelJS.Worksheet);
    expect(header).toEqual(HEADERS);
    expect(rows).toHaveLength(records.length);
    const columns = buildColumns(DEFAULT_COLUMNS, { joinWith: '; ' });
    for (const [r, record] of records.entries()) {
      for (const [c, column] of columns.entries()) {
        const got = rows[r]?.[c];
        const want = column.value(record);
        const where = `row ${r + 2} ${column.header}`;
        if (want === null) {
          expect(got, where).toBeNull();
          continue;
        }
        if (DATE_HEADERS.has(column.header)) {
          expect(got, where).toBeInstanceOf(Date);
          expect((got as Date).toISOString(), where).toBe(want);
          continue;
        }
        if (NUMBER_HEADERS.has(column.header)) {
          expect(typeof got, where).toBe('number');
          expect(got, where).toBe(want);
          continue;
        }
        expect(got, where).toBe(want);
      }
    }
  });

  it("writes core's default columns in their reading order (the CSV sink's order too), and keeps chosen columns in their order", async () => {
    expect(DEFAULT_COLUMNS.slice(0, 2)).toEqual(['repo', 'vulnerabilityCounts.severity5Count']);
    expect(DEFAULT_COLUMNS.slice(-3)).toEqual(['sha', 'imageId', 'repoDigests']);
    const { workbook: defaults } = await write({}, makeTestRecords(1));
    expect(sheetValues(dataSheets(defaults)[0] as ExcelJS.Worksheet)[0]).toEqual(buildColumns(DEFAULT_COLUMNS, { joinWith: '; ' }).map((c) => c.header));
    const { workbook } = await write({ columns: ['sha', 'repoDigests', 'repo', 'vulnerabilityCounts.severity1Count'] }, makeTestRecords(2));
    expect(sheetValues(dataSheets(workbook)[0] as ExcelJS.Worksheet)[0]).toEqual(['Image SHA', 'Digests', 'Repositories', 'Severity 1 INFO']);
  });

  it('makes the header bold and frozen, filters every data row, sizes columns, and formats dates in UTC', async () => {
    const records = makeTestRecords(12);
    const { workbook } = await write({}, records);
    const sheet = dataSheets(workbook)[0] as ExcelJS.Worksheet;
    expect(sheet.name).toBe('Images');
    for (let c = 1; c <= HEADERS.length; c++) expect(sheet.getRow(1).getCell(c).font?.bold, `header cell ${c}`).toBe(true);
    expect(sheet.views[0]).toMatchObject({ state: 'frozen', ySplit: 1 });
    expect(sheet.autoFilter).toBe('A1:X13');
    for (let c = 1; c <= HEADERS.length; c++) {
      const width = sheet.getColumn(c).width ?? 0;
      // The printed columns, A to J (print-layout.ts), wrap their header; the others are as wide as it.
      const header = HEADERS[c - 1] as string;
      const least = c <= 10 ? Math.max(...header.split(' ').map((w) => w.length)) + 2 : header.length + 3;
      expect(width, `column ${c}`).toBeGreaterThanOrEqual(Math.min(70, least));
      expect(width).toBeLessThanOrEqual(70);
    }
    expect(sheet.getColumn(col('Image SHA')).width).toBe(66); // a sha is 64 characters; it should be readable whole
    expect(sheet.getRow(2).getCell(col('Created')).numFmt).toBe('yyyy-mm-dd hh:mm:ss "UTC"');
    expect(sheet.getRow(2).getCell(col('Size (bytes)')).numFmt).toBe('#,##0');
  });

  it('colours non-zero severity 3, 4 and 5 counts over exactly the data rows', async () => {
    const { workbook } = await write({}, makeTestRecords(9));
    const sheet = dataSheets(workbook)[0] as ExcelJS.Worksheet & {
      conditionalFormattings: Array<{ ref: string; rules: Array<{ type: string; operator: string; formulae: unknown[] }> }>;
    };
    const refs = sheet.conditionalFormattings.map((cf) => cf.ref).sort();
    // Severity 5, 4 and 3 are columns B, C and D in the default reading order.
    expect(refs).toEqual(['B2:B10', 'C2:C10', 'D2:D10']);
    for (const cf of sheet.conditionalFormattings) expect(cf.rules[0]).toMatchObject({ type: 'cellIs', operator: 'greaterThan', formulae: ['0'] });
  });

  it('never turns a value into a formula, and keeps hostile text as text: unicode, quotes, newlines, controls, 40k characters', async () => {
    const records = makeTestRecords(HOSTILE_VALUES.length * 2, { hostile: true });
    const extraHostile = ['lone \ud800 surrogate and \u0007bell', `${'emoji at the cut '.padEnd(32_760, 'x')}🐳🐳🐳🐳🐳🐳`];
    const more = extraHostile.map((v, i) => ({ ...(records[0] as ImageRecord), sha: `${'e'.repeat(63)}${i}`, scanErrorMessage: v }));
    const { workbook, summary } = await write({ columns: ['sha', 'scanErrorMessage', 'labels', 'riskScore'] }, [...records, ...more]);
    const sheet = dataSheets(workbook)[0] as ExcelJS.Worksheet;
    let formulas = 0;
    sheet.eachRow((row) => row.eachCell((cell) => void (cell.type === ExcelJS.ValueType.Formula || cell.formula ? formulas++ : 0)));
    expect(formulas).toBe(0);
    const rows = sheetValues(sheet).slice(1);
    records.forEach((record, i) => {
      const want = expectedText(record.scanErrorMessage as string);
      const got = rows[i]?.[1] as string;
      if (want instanceof RegExp) {
        expect(got).toHaveLength(32_767);
        expect(got).toMatch(want);
      } else expect(got, JSON.stringify(record.scanErrorMessage).slice(0, 40)).toBe(want);
      expect(typeof got).toBe('string');
    });
    expect(rows[0]?.[1]).toBe('=HYPERLINK("http://evil.example","click")');
    expect(rows[8]?.[1]).toBe('nulbyte');
    expect(rows[5]?.[1]).toBe('line one\nline two\nline three');
    expect(rows[9]?.[1]).toBe('café/ünïcode-日本-🐳');
    expect(rows.at(-2)?.[1]).toBe('lone  surrogate and bell');
    const cutEmoji = rows.at(-1)?.[1] as string;
    expect(cutEmoji.length).toBeLessThanOrEqual(32_767);
    expect(cutEmoji).toMatch(/x … \[cut: 32,772 characters/);
    // Two 40,000-character messages, the same two as labels, and the emoji row.
    expect(summary.details).toMatchObject({ cellsCut: 5 });
  });

  it('continues on "Images (2)", "Images (3)" with the header repeated when a sheet is full', async () => {
    const records = makeTestRecords(10);
    const { workbook, summary } = await write({ rowsPerSheet: 4, columns: ['sha', 'created'] }, records);
    const sheets = dataSheets(workbook);
    expect(sheets.map((s) => s.name)).toEqual(['Images', 'Images (2)', 'Images (3)']);
    const all: unknown[] = [];
    for (const sheet of sheets) {
      const [header, ...rows] = sheetValues(sheet);
      expect(header).toEqual(['Image SHA', 'Created']);
      expect(sheet.getRow(1).getCell(1).font?.bold).toBe(true);
      expect(sheet.views[0]).toMatchObject({ state: 'frozen', ySplit: 1 });
      expect(sheet.autoFilter).toBe(`A1:B${rows.length + 1}`);
      all.push(...rows.map((r) => r[0]));
    }
    expect(sheets.map((s) => s.rowCount)).toEqual([5, 5, 3]);
    expect(all).toEqual(records.map((r) => r.sha));
    expect(summary).toMatchObject({ records: 10, details: { sheets: 'Images, Images (2), Images (3)' } });
    expect(workbook.worksheets.at(-1)?.name).toBe('Summary');
  });

  it("rolls over at Excel's own limit by default", () => {
    expect(EXCEL_MAX_DATA_ROWS).toBe(1_048_576 - 1);
    expect(excelSink.options.parse({ path: 'a.xlsx' }).rowsPerSheet).toBe(EXCEL_MAX_DATA_ROWS);
    expect(excelSink.options.safeParse({ path: 'a.xlsx', rowsPerSheet: EXCEL_MAX_DATA_ROWS + 1 }).success).toBe(false);
  });

  it('an empty export is a header-only Images sheet and a Summary that says 0 images', async () => {
    const { workbook, summary } = await write({}, []);
    const [sheet] = dataSheets(workbook);
    expect(sheetValues(sheet as ExcelJS.Worksheet)).toEqual([HEADERS]);
    expect(sheet?.autoFilter).toBe('A1:X1');
    const info = summaryRows(workbook);
    expect(info.get('Images exported')).toBe(0);
    expect(info.get('Total')).toBe(0);
    expect(info.row('Repositories')?.slice(0, 2)).toEqual(['Repositories', 'Risk Score']);
    expect(info.after('Repositories')).toEqual([['(no images)', null, null, null, null, null, null, null]]);
    expect(summary.records).toBe(0);
  });

  it('summarises the run, the totals by severity and the ten riskiest images, computed from the records', async () => {
    const records = makeTestRecords(120, { seed: 7 });
    const { workbook } = await write({}, records, {
      sourceLabel: 'https://qualysapi.qg2.apps.qualys.com',
      filter: 'vulnerabilities.severity:5',
      toolVersion: '1.2.3',
    });
    expect(workbook.worksheets.map((s) => s.name)).toEqual(['Images', 'Summary']);
    const info = summaryRows(workbook);
    expect(info.get('Exported at')).toEqual(new Date(Date.UTC(2026, 10, 22, 10, 30, 0)));
    expect(info.get('Source')).toBe('https://qualysapi.qg2.apps.qualys.com');
    expect(info.get('Filter (QQL)')).toBe('vulnerabilities.severity:5');
    expect(info.get('Tool')).toBe('qcs-export 1.2.3');
    expect(info.get('Images exported')).toBe(120);
    expect(info.get('Data sheets')).toBe('Images');
    const counted = records.filter((r) => r.vulnerabilityCounts);
    // The one vocabulary, number beside the word, as on the Findings and SLA sheets.
    const names = ['INFO', 'LOW', 'MEDIUM', 'HIGH', 'CRITICAL'];
    for (let s = 1; s <= 5; s++) {
      const key = `severity${s}Count` as 'severity1Count';
      const row = info.row(`${s} ${names[s - 1]}`);
      expect(row?.[1], `severity ${s} total`).toBe(counted.reduce((n, r) => n + (r.vulnerabilityCounts?.[key] ?? 0), 0));
      expect(row?.[2], `severity ${s} images`).toBe(counted.filter((r) => (r.vulnerabilityCounts?.[key] ?? 0) > 0).length);
    }
    expect(info.get('Total')).toBe(counted.reduce((n, r) => n + (r.vulnerabilityCounts?.total ?? 0), 0));
    expect(info.get('Images without severity counts')).toBe(records.length - counted.length);

    const ranked = [...records].sort(
      (a, b) =>
        (b.riskScore ?? -1) - (a.riskScore ?? -1) ||
        (b.vulnerabilityCounts?.severity5Count ?? -1) - (a.vulnerabilityCounts?.severity5Count ?? -1) ||
        (b.vulnerabilityCounts?.severity4Count ?? -1) - (a.vulnerabilityCounts?.severity4Count ?? -1) ||
        (b.vulnerabilityCounts?.total ?? -1) - (a.vulnerabilityCounts?.total ?? -1) ||
        a.sha.localeCompare(b.sha),
    );
    // The rows' order is the rank: repositories first, the sha last (there is no Rank column any more).
    const top = info.after('Repositories');
    expect(top.map((r) => r[7])).toEqual(ranked.slice(0, 10).map((r) => r.sha));
    const [repositories] = buildColumns(['repo'], { joinWith: '; ' });
    expect(top.map((r) => r[0])).toEqual(ranked.slice(0, 10).map((r) => repositories?.value(r) ?? null));
    expect(top[0]?.[1]).toBe(ranked[0]?.riskScore);
    expect(top[0]?.[3]).toBe(ranked[0]?.vulnerabilityCounts?.severity5Count);
  });

  it('leaves the Summary out when asked', async () => {
    const { workbook } = await write({ summary: false, sheetName: 'Inventory' }, makeTestRecords(3));
    expect(workbook.worksheets.map((s) => s.name)).toEqual(['Inventory']);
  });

  it('shows the same values as the CSV sink for the same records and columns', async () => {
    // Excel cuts cells CSV does not, so the 40,000-character value stays out of this comparison.
    const records = makeTestRecords(40, { hostile: true })
      .filter((r) => !r.repo.some((t) => (t.repository ?? '').length > 1000))
      .map((r) => ({ ...r, scanErrorMessage: null, labels: [] }));
    const columns = [...DEFAULT_COLUMNS, 'labels', 'isDockerHubOfficial', 'extra.sbomSummary.packages', 'repo.tag'];
    const { workbook } = await write({ columns }, records);
    const csvPath = join(dir, 'same.csv');
    const csv = csvSink.create(csvSink.options.parse({ path: csvPath, columns, escapeFormulas: false }), makeRunContext({ baseDir: dir }));
    await csv.open();
    await csv.write(records);
    await csv.close();
    const csvRows = parse(await readFile(csvPath, 'utf8'), { bom: true }) as string[][];
    const xlsxRows = sheetValues(dataSheets(workbook)[0] as ExcelJS.Worksheet);
    expect(xlsxRows).toHaveLength(csvRows.length);
    for (const [r, row] of csvRows.entries()) {
      for (const [c, text] of row.entries()) {
        const cell = xlsxRows[r]?.[c];
        const asText = cell === null ? '' : cell instanceof Date ? cell.toISOString() : String(cell);
        expect(asText, `row ${r + 1} column ${c + 1}`).toBe(text.replace(/\r\n?/g, '\n'));
      }
    }
  });

  it('keeps the zip queue under its limit while rows stream in, where exceljs alone lets it grow', async () => {
    const records = makeTestRecords(4000, { seed: 3 });
    const queueAfter = async (limit: number) => {
      dir = await mkdtemp(join(tmpdir(), 'qcs-xlsx-'));
      const sink = createExcelSink(excelSink.options.parse({ path: 'q.xlsx', summary: false }), makeRunContext({ baseDir: dir }), { zipQueueLimit: limit });
      await sink.open();
      for (let i = 0; i < records.length; i += 1000) await sink.write(records.slice(i, i + 1000));
      await sink.close();
      const rows = sheetValues(dataSheets(await readWorkbook(join(dir, 'q.xlsx')))[0] as ExcelJS.Worksheet).length;
      await rm(dir, { recursive: true, force: true });
      return { queued: sink.backpressure.maxQueuedAfterWait, rows };
    };
    const unbounded = await queueAfter(Number.POSITIVE_INFINITY);
    const bounded = await queueAfter(256 * 1024);
    expect(unbounded.queued).toBeGreaterThan(1_000_000);
    expect(bounded.queued).toBeGreaterThan(0);
    expect(bounded.queued).toBeLessThanOrEqual(256 * 1024);
    expect(bounded.rows).toBe(records.length + 1);
  });

  it('rejects options that would make a file Excel cannot open, saying what to fix', () => {
    const problems = (o: Record<string, unknown>) =>
      excelSink.options
        .safeParse(o)
        .error?.issues.map((i) => i.message)
        .join('; ');
    expect(problems({ path: 'out.xls' })).toMatch(/must end in \.xlsx/);
    expect(problems({ path: 'a.xlsx', sheetName: 'a/b' })).toMatch(/may not contain/);
    expect(problems({ path: 'a.xlsx', sheetName: 'summary' })).toMatch(/taken by the summary sheet/);
    expect(problems({ path: 'a.xlsx', columns: ['sha', 'nope'] })).toMatch(/unknown column "nope"/);
  });

  it('leaves nothing under the final name and no temporary file when aborted mid-export', async () => {
    dir = await mkdtemp(join(tmpdir(), 'qcs-xlsx-'));
    const sink = excelSink.create(excelSink.options.parse({ path: 'gone.xlsx' }), makeRunContext({ baseDir: dir }));
    await sink.open();
    await sink.write(makeTestRecords(3000));
    await sink.abort(new Error('source failed'));
    expect(await readdir(dir)).toEqual([]);
  });
});

/** The Summary sheet as label → value, plus the rows after a label (for tables). */
function summaryRows(workbook: ExcelJS.Workbook) {
  const rows = sheetValues(workbook.getWorksheet('Summary') as ExcelJS.Worksheet);
  const byLabel = new Map(rows.filter((r) => typeof r[0] === 'string').map((r) => [r[0] as string, r]));
  return {
    get: (label: string) => byLabel.get(label)?.[1],
    row: (label: string) => byLabel.get(label),
    /** The rows of the table whose header row starts with `label`, up to the next empty row. */
    after(label: string): unknown[][] {
      const at = rows.findIndex((r) => r[0] === label);
      const out: unknown[][] = [];
      for (let i = at + 1; i < rows.length && rows[i]?.some((v) => v !== null); i++) out.push(rows[i] as unknown[]);
      return out;
    },
  };
}
