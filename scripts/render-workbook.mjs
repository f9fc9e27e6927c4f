// `node scripts/render-workbook.mjs WORKBOOK.xlsx [--png SHEET=FILE.png ...] [--dpi 80] [--keep DIR]`: prints a workbook
// the way an auditor would, through LibreOffice (`soffice --headless --convert-to pdf`), and reports what came out:
// the pages of each sheet, the fonts embedded (pdffonts) and the size the cell text was printed at, with the scale
// that size means against Calibri 11. `--png Findings=docs/images/findings-page.png` renders the sheet's first page
// to PNG (pdftoppm). Not part of the test suite: it needs LibreOffice, poppler-utils (pdftotext, pdffonts, pdftoppm)
// and, for the font sizes, Debian's python3-pdfminer (/usr/bin/python3). Carlito (fonts-crosextra-carlito) stands in
// for Calibri with the same widths; without it LibreOffice prints in a wider font and the page counts differ.
// Pages are told apart by the sheet name their header or footer prints (&A).
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';

const args = process.argv.slice(2);
const workbook = args.find((a, i) => !a.startsWith('--') && !args[i - 1]?.startsWith('--'));
if (!workbook) {
  console.error('usage: node scripts/render-workbook.mjs WORKBOOK.xlsx [--png SHEET=FILE.png ...] [--dpi 80] [--keep DIR]');
  process.exit(2);
}
const option = (name) => args.flatMap((a, i) => (a === `--${name}` && args[i + 1] !== undefined ? [args[i + 1]] : []));
const dpi = option('dpi')[0] ?? '80';
const pngs = option('png').map((spec) => spec.split('='));
const keep = option('keep')[0];

/** Sheet names in workbook order, from xl/workbook.xml, read with the jszip exceljs brings. */
async function sheetNames(path) {
  const fromExcelJs = createRequire(createRequire(new URL('../packages/sink-excel/package.json', import.meta.url)).resolve('exceljs'));
  const JSZip = fromExcelJs('jszip');
  const zip = await JSZip.loadAsync(readFileSync(path));
  const xml = await zip.file('xl/workbook.xml').async('string');
  const decode = (s) =>
    s
      .replace(/&quot;/g, '"')
      .replace(/&apos;/g, "'")
      .replace(/&lt;/g, '<')
      .replace(/&gt;/g, '>')
      .replace(/&amp;/g, '&');
  return [...xml.matchAll(/<sheet [^>]*name="([^"]*)"/g)].map((m) => decode(m[1]));
}

const run = (command, argv) => execFileSync(command, argv, { encoding: 'utf8', maxBuffer: 1 << 30 });

const work = mkdtempSync(join(tmpdir(), 'render-workbook-'));
try {
  const started = Date.now();
  // A profile of its own, so a LibreOffice already open (or another render) does not take the conversion over.
  run('soffice', [`-env:UserInstallation=file://${work}/profile`, '--headless', '--convert-to', 'pdf', '--outdir', work, resolve(workbook)]);
  const pdf = join(work, basename(workbook).replace(/\.xlsx$/i, '.pdf'));
  if (!existsSync(pdf)) throw new Error(`soffice wrote no ${pdf}`);
  if (keep) copyFileSync(pdf, join(keep, basename(pdf)));
  const seconds = ((Date.now() - started) / 1000).toFixed(1);

  const names = await sheetNames(workbook);
  const pageCount = Number(/Pages:\s+(\d+)/.exec(run('pdfinfo', [pdf]))?.[1]);
  const size = /Page size:\s+([\d.]+) x ([\d.]+) pts(.*)/.exec(run('pdfinfo', [pdf]));
  // Each page's text; a form feed ends each page. The sheet is the longest name found on the page's first or last line.
  const pages = run('pdftotext', ['-layout', pdf, '-']).split('\f').slice(0, pageCount);
  const longestFirst = [...names].sort((a, b) => b.length - a.length);
  const sheetOf = pages.map((text) => {
    const lines = text.split('\n').filter((l) => l.trim() !== '');
    const edges = [lines[0] ?? '', lines.at(-1) ?? ''];
    return longestFirst.find((name) => edges.some((line) => new RegExp(`(^|\\s)${name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(\\s|$)`).test(line))) ?? '?';
  });
  const firstPage = new Map();
  const counts = new Map();
  sheetOf.forEach((name, i) => {
    if (!firstPage.has(name)) firstPage.set(name, i + 1);
    counts.set(name, (counts.get(name) ?? 0) + 1);
  });

  // Cell text sizes on each sheet's first page: pdfminer gives every character's printed size. The page header and
  // footer print at their own, unscaled size, so the most frequent size is the cells'.
  const measured = new Map();
  if (existsSync('/usr/bin/python3')) {
    const python = `
import json, sys, collections
from pdfminer.high_level import extract_pages
from pdfminer.layout import LTChar, LTTextContainer
out = {}
pages = [int(p) for p in sys.argv[2].split(',')]
for number, layout in zip(pages, extract_pages(sys.argv[1], page_numbers=[p - 1 for p in pages])):
    sizes = collections.Counter()
    def walk(item):
        if isinstance(item, LTChar):
            sizes[(round(item.size, 2), item.fontname.split('+')[-1])] += 1
        elif hasattr(item, '__iter__'):
            for child in item:
                walk(child)
    walk(layout)
    out[number] = [[s, f, n] for (s, f), n in sizes.most_common(6)]
print(json.dumps(out))
`;
    try {
      const result = JSON.parse(run('/usr/bin/python3', ['-c', python, pdf, [...firstPage.values()].join(',')]));
      for (const [name, page] of firstPage) measured.set(name, result[page]);
    } catch (error) {
      console.error(`font sizes not measured (needs python3-pdfminer): ${error.message.split('\n')[0]}`);
    }
  }

  console.log(`${workbook}: ${pageCount} pages (${size ? `${size[1]} x ${size[2]} pt${size[3]}` : 'size unknown'}), converted in ${seconds} s`);
  console.log('\n| sheet | pages | first page | cell text (pt) | scale vs 11 pt | sizes on its first page (pt, font, characters) |');
  console.log('|---|---:|---:|---:|---:|---|');
  for (const name of [...names, '?']) {
    if (!counts.has(name)) continue;
    const sizes = measured.get(name) ?? [];
    const body = sizes[0]?.[0];
    const list = sizes.map(([s, font, n]) => `${s} ${font} ×${n}`).join('; ');
    console.log(`| ${name} | ${counts.get(name)} | ${firstPage.get(name)} | ${body ?? ''} | ${body ? `${Math.round((100 * body) / 11)}%` : ''} | ${list} |`);
  }
  console.log(`\nFonts (pdffonts):\n${run('pdffonts', [pdf]).trimEnd()}`);

  for (const [sheet, file] of pngs) {
    const page = firstPage.get(sheet);
    if (!page) {
      console.error(`no page of sheet "${sheet}" to render`);
      process.exitCode = 1;
      continue;
    }
    const target = resolve(file).replace(/\.png$/i, '');
    run('pdftoppm', ['-png', '-r', dpi, '-f', String(page), '-l', String(page), '-singlefile', pdf, target]);
    console.log(`page ${page} (${sheet}) → ${target}.png, ${readFileSync(`${target}.png`).length.toLocaleString('en-US')} bytes`);
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}
