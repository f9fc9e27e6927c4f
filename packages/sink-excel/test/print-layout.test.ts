import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { ImageRecord } from '@qcs-export/core';
import { makeRunContext, makeTestFinding, makeTestRecords } from '@qcs-export/sink-testkit';
import { excelSink } from '../src/index.js';
import { planPrint, wrappedLines } from '../src/print-layout.js';
import { findAll, findOne, readParts, type XlsxParts, type XmlElement } from './xlsx-parts.js';

// Printable widths of a landscape page with 0.5 in side margins, in pixels at 96 dpi; a column is 7 px a character.
const LETTER = 10 * 96;
const A4 = 10.69 * 96;
const scaleOf = (widths: number[], page: number) => Math.min(1, page / widths.reduce((sum, w) => sum + 7 * w + 1, 0));

/** Every column's width from <cols>, spread back out of exceljs' min..max groups; undefined where none is written. */
function widths(sheet: XmlElement): (number | undefined)[] {
  const out: (number | undefined)[] = [];
  for (const c of findAll(sheet, 'col')) for (let i = Number(c.attributes.min); i <= Number(c.attributes.max); i++) out[i - 1] = Number(c.attributes.width);
  return out;
}

const finding = (qid: number, severity: number, firstFound: string, isExempted = false) =>
  makeTestFinding(qid, { severity, firstFound, lastFound: firstFound, isExempted });

describe('excel sink: readable printed pages (issue 20, point 3)', () => {
  let dir: string | undefined;
  afterEach(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  async function write(options: Record<string, unknown>, records: readonly ImageRecord[]): Promise<XlsxParts> {
    dir = await mkdtemp(join(tmpdir(), 'qcs-xlsx-layout-'));
    const sink = excelSink.create(excelSink.options.parse({ path: 'out.xlsx', ...options }), makeRunContext({ baseDir: dir }));
    await sink.open();
    await sink.write(records);
    await sink.close();
    return readParts(join(dir, 'out.xlsx'));
  }

  const printArea = async (parts: XlsxParts, index: number) =>
    findAll(await parts.part('xl/workbook.xml'), 'definedName')
      .filter((d) => d.attributes.name === '_xlnm.Print_Area' && d.attributes.localSheetId === String(index))
      .map((d) => d.text);

  it('counts wrapped lines by words and line breaks, a long word taking several lines', () => {
    expect(wrappedLines('Risk Score', 12)).toBe(1);
    expect(wrappedLines('Images with at least one', 16)).toBe(2);
    expect(wrappedLines('a\nb\nc', 40)).toBe(3);
    expect(wrappedLines('x'.repeat(81), 42)).toBe(3);
  });

  it('narrows the widest printed text columns until the print area fits one Letter page wide at 65% or more', () => {
    const columns = [
      { key: 'a', header: 'Repositories', type: 'string', valueWidth: 70 },
      { key: 'b', header: 'Title', type: 'string', valueWidth: 70 },
      { key: 'c', header: 'First Found', type: 'date', valueWidth: 25 },
      { key: 'd', header: 'Days Overdue', type: 'number', valueWidth: 6 },
      { key: 'e', header: 'Packages', type: 'string', valueWidth: 70 },
    ];
    const layout = planPrint(columns, new Set(['a', 'b', 'c', 'd']));
    expect(layout.printColumns).toBe(4);
    expect(layout.fit).toEqual({ toWidth: true });
    expect(scaleOf(layout.widths.slice(0, 4), LETTER)).toBeGreaterThanOrEqual(0.65);
    // Only text gave way: the date keeps its width, the number its header's longest word, the unprinted column its own.
    expect(layout.widths.slice(2)).toEqual([25, 10, 70]);
  });

  it("prints a user's columns at a fixed 70%, pages across, when they cannot fit one page wide", () => {
    const columns = Array.from({ length: 20 }, (_, i) => ({ key: `k${i}`, header: `Date ${i}`, type: 'date', valueWidth: 25 }));
    const layout = planPrint(columns);
    expect(layout.fit).toEqual({ toWidth: false, scale: 70 });
    expect(layout.printColumns).toBe(20);
  });

  it('prints the Findings key columns one page wide at 65% or more, and marks breached and exempted findings', async () => {
    const old = '2024-01-01T00:00:00.000Z';
    const records = makeTestRecords(3).map((r, i) => ({
      ...r,
      vulnerabilities: [finding(100_001 + i, 5, old), finding(200_001 + i, 3, '2026-11-20T00:00:00.000Z'), finding(300_001 + i, 4, old, true)],
    }));
    const parts = await write({ findings: 'findings' }, records);
    const index = parts.sheetNames.indexOf('Findings');
    const sheet = await parts.sheet('Findings');
    expect(await printArea(parts, index)).toEqual([`'Findings'!$A$1:$J$10`]);
    const header = findAll(findOne(sheet, 'sheetData'), 'row')[0] as XmlElement;
    expect(findAll(header, 'c')).toHaveLength(22);
    const printed = widths(sheet).slice(0, 10);
    expect(printed.every((w) => w !== undefined)).toBe(true);
    for (const page of [LETTER, A4]) expect(scaleOf(printed as number[], page)).toBeGreaterThanOrEqual(0.65);
    expect(findOne(findOne(sheet, 'sheetPr'), 'pageSetUpPr').attributes).toEqual({ fitToPage: '1' });
    expect(findOne(sheet, 'pageSetup').attributes).toMatchObject({ fitToWidth: '1', fitToHeight: '0' });
    // The header wraps in the narrowed columns, in a row as tall as its lines.
    expect(Number(header.attributes.ht)).toBeGreaterThanOrEqual(30);
    expect(findOne(sheet, 'oddHeader').text).not.toMatch(/images/i);

    // SLA Status (H) and Days Overdue (I), over the data rows, by the status word.
    const formats = findAll(sheet, 'conditionalFormatting').filter((cf) => cf.attributes.sqref === 'H2:I10');
    expect(formats).toHaveLength(1);
    const rules = findAll(formats[0] as XmlElement, 'cfRule');
    expect(rules.map((r) => [r.attributes.type, findOne(r, 'formula').text])).toEqual([
      ['expression', '$H2="breached"'],
      ['expression', '$H2="exempted"'],
    ]);
    const dxfs = findAll(findOne(await parts.part('xl/styles.xml'), 'dxfs'), 'dxf');
    const fills = rules.map((r) => findOne(dxfs[Number(r.attributes.dxfId)] as XmlElement, 'bgColor').attributes.rgb);
    expect(fills).toEqual(['FFF4B6B6', 'FFD9D9D9']);
  });

  it('prints the default Images columns A to J one page wide at 65% or more', async () => {
    const parts = await write({}, makeTestRecords(12));
    expect(await printArea(parts, 0)).toEqual([`'Images'!$A$1:$J$13`]);
    const printed = widths(await parts.sheet('Images')).slice(0, 10) as number[];
    for (const page of [LETTER, A4]) expect(scaleOf(printed, page)).toBeGreaterThanOrEqual(0.65);
  });

  it('gives a riskiest-images row on the Summary the height of its wrapped repositories, so it does not print over the next', async () => {
    const many = Array.from({ length: 6 }, (_, i) => ({ registry: 'registry.example.com', repository: `team/service-${i}`, tag: 'v1.2.3' }));
    const records = makeTestRecords(3).map((r, i) => (i === 0 ? { ...r, riskScore: 999, repo: many } : r));
    const parts = await write({}, records);
    const rows = findAll(findOne(await parts.sheet('Summary'), 'sheetData'), 'row');
    const cells = (row: XmlElement) => findAll(row, 'c').map((c) => (findAll(c, 't')[0] ?? findAll(c, 'v')[0])?.text);
    const at = rows.findIndex((row) => cells(row)[0] === 'Repositories');
    const first = rows[at + 1] as XmlElement;
    expect(cells(first)[0]).toContain('team/service-5');
    // Six tags of 40 characters, joined with "; ", in a 42-character column: at least six lines of 15 pt.
    expect(Number(first.attributes.ht)).toBeGreaterThanOrEqual(90);
    expect(first.attributes.customHeight).toBe('1');
    // The header row with "Vulnerabilities" wrapped is two lines tall.
    expect(Number((rows[at] as XmlElement).attributes.ht)).toBe(30);
  });
});
