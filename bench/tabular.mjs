// Spreadsheets: rows/s and peak RSS of the CSV and Excel sinks next to csv-stringify and exceljs writing the same
// rows bare, and the Excel sink's peak RSS at two sizes (it must not grow with the row count). Each case runs in a
// fresh process; rows come from the same pool of normalized images (no HTTP here: the source has its own bench).
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fmt, runCase, table } from './lib.mjs';

const big = Number(process.env.BENCH_TABULAR_ROWS ?? 200_000);
const small = Math.round(big / 4);
const dir = mkdtempSync(join(tmpdir(), 'qcs-bench-tab-'));
const rows = [['rows', 'case', 'rows/s', 'wall', 'peak RSS', 'file', 'vs bare']];
const run = async (kind, n, file) => {
  const r = await runCase('tabular.mjs', [kind, n, join(dir, file)]);
  return { ...r, bytes: statSync(join(dir, file)).size };
};
try {
  const csv = await run('csv', big, 'ours.csv');
  const bareCsv = await run('bare-csv', big, 'bare.csv');
  rows.push([
    fmt.n(big),
    'qcs-export CSV sink',
    fmt.n(csv.perSecond),
    fmt.s(csv.seconds),
    fmt.mb(csv.maxRssMB),
    fmt.mb(csv.bytes / 1e6),
    fmt.x(csv.seconds / bareCsv.seconds),
  ]);
  rows.push([
    fmt.n(big),
    'bare csv-stringify stream',
    fmt.n(bareCsv.perSecond),
    fmt.s(bareCsv.seconds),
    fmt.mb(bareCsv.maxRssMB),
    fmt.mb(bareCsv.bytes / 1e6),
    '1.00×',
  ]);
  const excel = await run('excel', big, 'ours.xlsx');
  const excelSmall = await run('excel', small, 'small.xlsx');
  const bareExcel = await run('bare-excel', big, 'bare.xlsx');
  rows.push([
    fmt.n(big),
    'qcs-export Excel sink (+ Summary sheet)',
    fmt.n(excel.perSecond),
    fmt.s(excel.seconds),
    fmt.mb(excel.maxRssMB),
    fmt.mb(excel.bytes / 1e6),
    fmt.x(excel.seconds / bareExcel.seconds),
  ]);
  rows.push([
    fmt.n(small),
    'qcs-export Excel sink (+ Summary sheet)',
    fmt.n(excelSmall.perSecond),
    fmt.s(excelSmall.seconds),
    fmt.mb(excelSmall.maxRssMB),
    fmt.mb(excelSmall.bytes / 1e6),
    '',
  ]);
  rows.push([
    fmt.n(big),
    'bare exceljs WorkbookWriter (styles, no shared strings)',
    fmt.n(bareExcel.perSecond),
    fmt.s(bareExcel.seconds),
    fmt.mb(bareExcel.maxRssMB),
    fmt.mb(bareExcel.bytes / 1e6),
    '1.00×',
  ]);
  table(rows);
  console.log(
    `\nExcel sink peak RSS: ${fmt.mb(excelSmall.maxRssMB)} at ${fmt.n(small)} rows, ${fmt.mb(excel.maxRssMB)} at ${fmt.n(big)} rows ` +
      `(${fmt.x(excel.maxRssMB / excelSmall.maxRssMB)} for ${fmt.x(big / small)} the rows); bare exceljs: ${fmt.mb(bareExcel.maxRssMB)}.`,
  );
  console.log(`Largest zip queue after a wait: ${excel.zipQueueMB.toFixed(1)} MB (limit 8 MB).`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
