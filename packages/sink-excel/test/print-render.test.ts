import { spawnSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeRunContext, makeTestFinding, makeTestRecords } from '@qcs-export/sink-testkit';
import { excelSink } from '../src/index.js';

// Issue 20, point 3, measured by a real spreadsheet program: LibreOffice prints the workbook to PDF and the pages are
// read back as text. Where the machine has no LibreOffice (soffice) or poppler (pdftotext), this is skipped; the XML
// checks in print-layout.test.ts run everywhere.
const has = (command: string, args: string[]) => spawnSync(command, args, { stdio: 'ignore' }).status === 0;
const canRender = has('soffice', ['--version']) && has('pdftotext', ['-v']);

const finding = (qid: number, firstFound: string, isExempted: boolean) =>
  makeTestFinding(qid, { title: `Buffer overflow in openssl, finding ${qid}`, firstFound, lastFound: firstFound, isExempted });

describe.skipIf(!canRender)('a findings workbook as LibreOffice prints it', () => {
  let dir = '';
  let pages: string[] = [];
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'qcs-xlsx-render-'));
    const records = makeTestRecords(120).map((r, i) => ({
      ...r,
      vulnerabilities: [0, 1, 2].map((n) => finding(100_000 + 10 * i + n, n === 0 ? '2024-01-01T00:00:00.000Z' : '2026-11-20T00:00:00.000Z', n === 2)),
    }));
    const sink = excelSink.create(excelSink.options.parse({ path: 'out.xlsx', records: ['images', 'findings'] }), makeRunContext({ baseDir: dir }));
    await sink.open();
    await sink.write(records);
    await sink.close();
    const convert = spawnSync('soffice', [
      `-env:UserInstallation=file://${dir}/profile`,
      '--headless',
      '--convert-to',
      'pdf',
      '--outdir',
      dir,
      join(dir, 'out.xlsx'),
    ]);
    expect(convert.status, String(convert.stderr)).toBe(0);
    pages = spawnSync('pdftotext', ['-layout', join(dir, 'out.pdf'), '-'], { encoding: 'utf8' })
      .stdout.split('\f')
      .filter((p) => p.trim() !== '');
  }, 180_000);
  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const findingsPages = () => pages.filter((p) => p.split('\n')[0]?.includes('Findings'));

  it('every Findings page names its sheet and the export time, repeats the header, and is numbered', () => {
    const printed = findingsPages();
    // 360 findings do not fit on one page at a readable size.
    expect(printed.length).toBeGreaterThan(2);
    for (const page of printed) {
      expect(page.split('\n')[0]).toMatch(/Findings.*Exported \d{4}-\d\d-\d\d/);
      expect(page).toMatch(/Repositories\s+QID\s+Title/);
      expect(page).toMatch(/Page \d+ of \d+/);
    }
  });

  it('prints the key columns one page wide, through Fixed Version, and not the on-screen-only ones', () => {
    for (const page of findingsPages()) {
      // The last printed column; its header wraps onto two lines (Fixed / Version).
      expect(page).toMatch(/SLA Status.*Fixed/);
      expect(page).toMatch(/breached/);
      expect(page).not.toMatch(/Finding Key|Image In Use/);
    }
  });

  it('prints the Summary on one page', () => {
    expect(pages.filter((p) => p.split('\n')[0]?.includes('Summary'))).toHaveLength(1);
  });
});
