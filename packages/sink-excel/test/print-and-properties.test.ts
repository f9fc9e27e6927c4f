import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type ExcelJS from 'exceljs';
import { afterEach, describe, expect, it } from 'vitest';
import type { ImageRecord, RunContext } from '@qcs-export/core';
import { makeRunContext, makeTestRecords } from '@qcs-export/sink-testkit';
import { excelSink } from '../src/index.js';
import { dataSheets, readWorkbook, sheetValues } from './read-back.js';
import { findAll, findOne, readParts, type XlsxParts } from './xlsx-parts.js';

// The sheet's own name (&A, in bold), the export and its time; the page of the sheet's pages. No "images" on a Findings page.
const HEADER = '&L&"Calibri,Bold"&A&CQualys Container Security export&RExported 2026-11-22 10:30:00 UTC';
const FOOTER = '&CPage &P of &N';

describe('excel sink: printing and document properties', () => {
  let dir: string;
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  async function write(
    options: Record<string, unknown>,
    records: readonly ImageRecord[],
    ctx: Partial<RunContext> = {},
  ): Promise<{ parts: XlsxParts; workbook: ExcelJS.Workbook }> {
    dir = await mkdtemp(join(tmpdir(), 'qcs-xlsx-print-'));
    const sink = excelSink.create(excelSink.options.parse({ path: 'out.xlsx', ...options }), makeRunContext({ baseDir: dir, ...ctx }));
    await sink.open();
    for (let i = 0; i < records.length; i += 5) await sink.write(records.slice(i, i + 5));
    await sink.close();
    const path = join(dir, 'out.xlsx');
    return { parts: await readParts(path), workbook: await readWorkbook(path) };
  }

  it('prints every data sheet, rollovers included, landscape, one page wide, header row and page numbers on every page', async () => {
    const { parts, workbook } = await write({ rowsPerSheet: 4 }, makeTestRecords(10));
    expect(parts.sheetNames).toEqual(['Images', 'Images (2)', 'Images (3)', 'Summary']);
    const names = findAll(await parts.part('xl/workbook.xml'), 'definedName');
    const titles = names.filter((d) => d.attributes.name === '_xlnm.Print_Titles');
    const areas = names.filter((d) => d.attributes.name === '_xlnm.Print_Area');

    for (const [index, name] of ['Images', 'Images (2)', 'Images (3)'].entries()) {
      const sheet = await parts.sheet(name);
      expect(findOne(findOne(sheet, 'sheetPr'), 'pageSetUpPr').attributes, name).toEqual({ fitToPage: '1' });
      // Page numbers start at 1 on each sheet.
      expect(findOne(sheet, 'pageSetup').attributes, name).toMatchObject({
        orientation: 'landscape',
        fitToWidth: '1',
        fitToHeight: '0',
        firstPageNumber: '1',
        useFirstPageNumber: '1',
      });
      const headerFooter = findOne(sheet, 'headerFooter');
      expect(findOne(headerFooter, 'oddHeader').text, name).toBe(HEADER);
      expect(findOne(headerFooter, 'oddFooter').text, name).toBe(FOOTER);
      // Sheet-local, as Excel requires of print titles: localSheetId is the sheet's place in workbook.xml.
      const own = titles.filter((t) => t.attributes.localSheetId === String(index));
      expect(
        own.map((t) => t.text),
        name,
      ).toEqual([`'${name}'!$1:$1`]);
      expect(parts.sheetNames[index]).toBe(name);
      // The key columns, A (repositories) to J (last scanned), over the rows this sheet holds: 4, or 2 on the last.
      expect(
        areas.filter((a) => a.attributes.localSheetId === String(index)).map((a) => a.text),
        name,
      ).toEqual([`'${name}'!$A$1:$J$${index === 2 ? 3 : 5}`]);
    }
    // One title row per data sheet, none for the one-page Summary.
    expect(titles).toHaveLength(3);

    // exceljs's reader maps them back onto the sheets the same way.
    for (const sheet of dataSheets(workbook)) {
      expect(sheet.pageSetup, sheet.name).toMatchObject({ orientation: 'landscape', fitToPage: true, fitToWidth: 1, fitToHeight: 0, printTitlesRow: '1:1' });
      expect(sheet.headerFooter, sheet.name).toMatchObject({ oddHeader: HEADER, oddFooter: FOOTER });
    }
  });

  it('keeps the print setup on a renamed, header-only sheet', async () => {
    const { parts } = await write({ sheetName: 'Inventory & more', summary: false }, []);
    const sheet = await parts.sheet('Inventory & more');
    expect(findOne(sheet, 'pageSetup').attributes).toMatchObject({ orientation: 'landscape', fitToWidth: '1', fitToHeight: '0' });
    const titles = findAll(await parts.part('xl/workbook.xml'), 'definedName');
    expect(titles.map((t) => [t.attributes.name, t.attributes.localSheetId, t.text])).toEqual([
      ['_xlnm.Print_Area', '0', `'Inventory & more'!$A$1:$J$1`],
      ['_xlnm.Print_Titles', '0', `'Inventory & more'!$1:$1`],
    ]);
  });

  it('rejects an apostrophe in sheetName, which would break the print titles', () => {
    const problems = excelSink.options.safeParse({ path: 'a.xlsx', sheetName: "Bob's images" }).error?.issues.map((i) => i.message);
    expect(problems).toEqual(["sheetName may not contain ' (an apostrophe)"]);
  });

  it('lays the Summary out in narrow label and value columns, counts with thousands separators, on one page', async () => {
    // Scan dates set here, so the Summary's date column has values whatever the test records carry.
    const records = makeTestRecords(30, { seed: 5 }).map((r) => ({ ...r, lastScanned: r.lastVmScanDate }));
    const { parts, workbook } = await write({}, records);
    const xml = await parts.sheet('Summary');
    // <col min max width>: exceljs joins neighbours of one width into one element, so each is spread back out.
    const widths = findAll(xml, 'col').flatMap((c) =>
      Array.from({ length: Number(c.attributes.max) - Number(c.attributes.min) + 1 }, () => Number(c.attributes.width)),
    );
    expect(widths).toEqual([42, 24, 16, 12, 12, 16, 24, 66]);
    expect(findOne(findOne(xml, 'sheetPr'), 'pageSetUpPr').attributes).toEqual({ fitToPage: '1' });
    expect(findOne(xml, 'pageSetup').attributes).toMatchObject({ orientation: 'landscape', fitToWidth: '1', fitToHeight: '1' });
    expect(findOne(xml, 'oddHeader').text).toBe(HEADER);
    expect(findOne(xml, 'oddFooter').text).toBe(FOOTER);

    const summary = workbook.getWorksheet('Summary') as ExcelJS.Worksheet;
    const rowOf = (label: string) => {
      let found: ExcelJS.Row | undefined;
      summary.eachRow((row) => {
        if (row.getCell(1).value === label) found = row;
      });
      if (!found) throw new Error(`no Summary row "${label}"`);
      return found;
    };
    // Labels and values side by side: the value is in B, right next to its label.
    expect(rowOf('Images exported').getCell(2).value).toBe(30);
    for (const label of ['Images exported', `Cells cut to Excel's 32,767 characters`, '5 CRITICAL', '1 INFO', 'Total', 'Images without severity counts']) {
      const row = rowOf(label);
      expect(typeof row.getCell(2).value, label).toBe('number');
      expect(row.getCell(2).numFmt, label).toBe('#,##0');
    }
    expect(rowOf('5 CRITICAL').getCell(3).numFmt).toBe('#,##0');
    expect(rowOf('Exported at').getCell(2).numFmt).toBe('yyyy-mm-dd hh:mm:ss "UTC"');

    const header = rowOf('Repositories');
    expect(sheetValues(summary)[header.number - 1]?.slice(0, 8)).toEqual([
      'Repositories',
      'Risk Score',
      'QDS Rating',
      '5 CRITICAL',
      '4 HIGH',
      'Vulnerabilities',
      'Last Scanned',
      'Image SHA',
    ]);
    const risky = Array.from({ length: 10 }, (_, i) => summary.getRow(header.number + 1 + i));
    // Empty cells carry no style, so only cells with a value are checked; the data has both kinds in each column.
    const filled = (column: number) => risky.map((row) => row.getCell(column)).filter((cell) => cell.value !== null);
    for (const column of [4, 5, 6]) {
      expect(filled(column).length, `riskiest column ${column}`).toBeGreaterThan(3);
      for (const cell of filled(column)) expect(cell.numFmt, cell.address).toBe('#,##0');
    }
    expect(filled(7).length).toBeGreaterThan(3);
    for (const cell of filled(7)) expect(cell.numFmt, cell.address).toBe('yyyy-mm-dd hh:mm:ss "UTC"');
    for (const cell of filled(1)) expect(cell.alignment, cell.address).toMatchObject({ wrapText: true });
  });

  it('names the tool, title, time, source and filter in the document properties', async () => {
    const ctx = { toolVersion: '1.2.3', sourceLabel: 'https://qualysapi.qg2.apps.qualys.com', filter: "vulnerabilities.severity:5 and repo:'a&b<c>'\u0007" };
    const { parts, workbook } = await write({ rowsPerSheet: 4 }, makeTestRecords(6), ctx);
    const core = await parts.part('docProps/core.xml');
    const text = (name: string) => findOne(core, name).text;
    expect(text('dc:creator')).toBe('qcs-export 1.2.3');
    expect(text('cp:lastModifiedBy')).toBe('qcs-export 1.2.3');
    expect(text('dc:title')).toBe('Qualys Container Security images');
    expect(text('dc:subject')).toBe('Image inventory exported 2026-11-22 10:30:00 UTC from https://qualysapi.qg2.apps.qualys.com');
    // The bell character XML cannot carry is gone; &, < and > survive as text.
    expect(text('dc:description')).toBe(
      'Exported 2026-11-22 10:30:00 UTC from https://qualysapi.qg2.apps.qualys.com by qcs-export 1.2.3. ' +
        "Filter (QQL): vulnerabilities.severity:5 and repo:'a&b<c>'",
    );
    expect(text('dcterms:created')).toBe('2026-11-22T10:30:00Z');

    const app = await parts.part('docProps/app.xml');
    expect(findOne(app, 'Application').text).toBe('qcs-export 1.2.3');
    expect(findAll(app, 'AppVersion')).toEqual([]);
    expect(findAll(findOne(app, 'HeadingPairs'), 'vt:i4').map((e) => e.text)).toEqual(['3']);
    expect(findAll(findOne(app, 'TitlesOfParts'), 'vt:lpstr').map((e) => e.text)).toEqual(['Images', 'Images (2)', 'Summary']);

    expect(workbook).toMatchObject({ creator: 'qcs-export 1.2.3', lastModifiedBy: 'qcs-export 1.2.3', title: 'Qualys Container Security images' });
    expect(workbook.description).toContain('Filter (QQL): vulnerabilities.severity:5');
  });

  it('says "none" for the filter when the export had none', async () => {
    const { parts } = await write({ summary: false }, makeTestRecords(2));
    expect(findOne(await parts.part('docProps/core.xml'), 'dc:description').text).toBe(
      'Exported 2026-11-22 10:30:00 UTC from test by qcs-export 0.0.0-test. Filter (QQL): (none: all images)',
    );
    expect(findAll(findOne(await parts.part('docProps/app.xml'), 'TitlesOfParts'), 'vt:lpstr').map((e) => e.text)).toEqual(['Images']);
  });
});
