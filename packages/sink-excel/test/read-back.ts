import ExcelJS from 'exceljs';

/** Opens a workbook with exceljs' reader, the way a test checks what Excel will see. */
export async function readWorkbook(path: string): Promise<ExcelJS.Workbook> {
  const workbook = new ExcelJS.Workbook();
  await workbook.xlsx.readFile(path);
  return workbook;
}

/** A sheet's rows as plain values, header first; index 0 of each row is column A. */
export function sheetValues(sheet: ExcelJS.Worksheet): unknown[][] {
  const rows: unknown[][] = [];
  // columnCount walks every row, so it is read once.
  const columns = sheet.columnCount;
  sheet.eachRow({ includeEmpty: true }, (row) => {
    const values: unknown[] = [];
    for (let c = 1; c <= columns; c++) {
      const v = row.getCell(c).value;
      values.push(v === undefined ? null : v);
    }
    rows.push(values);
  });
  return rows;
}

/** The data sheets (everything but Summary), in workbook order. */
export const dataSheets = (workbook: ExcelJS.Workbook) => workbook.worksheets.filter((s) => s.name !== 'Summary');
