// One spreadsheet case: our CSV or Excel sink, or the bare library writing the same rows.
// args: case (csv | bare-csv | excel | bare-excel) rows outFile
// Rows come from a fixed pool of normalized simulator images, reused page after page, so generating data costs
// nothing and takes no memory that grows with the row count; every case writes exactly the same cells.
import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { stringify } from 'csv-stringify';
import ExcelJS from 'exceljs';
import { buildColumns } from '@qcs-export/core';
import { csvSink } from '@qcs-export/sink-csv';
import { createExcelSink, excelSink } from '@qcs-export/sink-excel';
import { report } from '../lib.mjs';
import { recordPages } from './record-pages.mjs';
import { benchRunContext } from './run-context.mjs';

const [kind, rowsArg, out] = process.argv.slice(2);
const total = Number(rowsArg);
const pages = () => recordPages(total);
const ctx = benchRunContext();
const columns = buildColumns(undefined, { joinWith: '; ' });
const cells = (record) => columns.map((c) => c.value(record));

async function viaSink(sink) {
  await sink.open();
  for (const page of pages()) await sink.write(page);
  return sink.close();
}

async function bareCsv() {
  const file = createWriteStream(out);
  const csv = stringify({ bom: true, record_delimiter: 'windows' });
  csv.pipe(file);
  csv.write(columns.map((c) => c.header));
  for (const page of pages()) for (const record of page) if (!csv.write(cells(record))) await once(csv, 'drain');
  csv.end();
  await once(file, 'finish');
}

// exceljs as its README shows streaming: styled, no shared strings, row.commit(); dates as Date with a numFmt.
async function bareExcel() {
  const workbook = new ExcelJS.stream.xlsx.WorkbookWriter({ filename: out, useStyles: true, useSharedStrings: false });
  const sheet = workbook.addWorksheet('Images');
  sheet.columns = columns.map((c) => ({ key: c.key, width: 20, style: c.type === 'date' ? { numFmt: 'yyyy-mm-dd hh:mm:ss' } : {} }));
  sheet.addRow(columns.map((c) => c.header)).commit();
  for (const page of pages())
    for (const record of page)
      sheet
        .addRow(
          columns.map((c) => {
            const v = c.value(record);
            return c.type === 'date' && v ? new Date(v) : v;
          }),
        )
        .commit();
  sheet.commit();
  await workbook.commit();
}

const started = performance.now();
let extra = {};
if (kind === 'csv') await viaSink(csvSink.create(csvSink.options.parse({ path: out }), ctx));
else if (kind === 'excel') {
  const sink = createExcelSink(excelSink.options.parse({ path: out }), ctx);
  await viaSink(sink);
  extra = { zipQueueMB: sink.backpressure.maxQueuedAfterWait / 1e6 };
} else if (kind === 'bare-csv') await bareCsv();
else if (kind === 'bare-excel') await bareExcel();
else throw new Error(`unknown case ${kind}`);
report(total, started, extra);
