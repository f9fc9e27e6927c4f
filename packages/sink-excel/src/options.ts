import { z } from 'zod';
import { refineColumns, stampRunOption, tabularOptionsShape, fileModeOption } from '@qcs-export/core/sink';

/** Excel's row limit is 1,048,576; one row is the header. */
export const EXCEL_MAX_DATA_ROWS = 1_048_575;

export const excelOptions = z
  .strictObject({
    path: z
      .string()
      .min(1, 'path must name an .xlsx file')
      .refine((p) => p.toLowerCase().endsWith('.xlsx'), 'path must end in .xlsx: Excel refuses to open a workbook under another extension')
      .meta({ description: 'The output file; must end in `.xlsx`. `{date}`, `{time}` and `{datetime}` expand; missing parent directories are created.' }),
    ...tabularOptionsShape,
    stampRun: stampRunOption,
    sheetName: z
      .string()
      .min(1)
      .max(26, 'sheetName is at most 26 characters: Excel allows 31 and " (99)" must still fit')
      .refine((n) => !/[\\/?*[\]:]/.test(n), 'sheetName may not contain \\ / ? * [ ] or :')
      // Excel refuses a sheet name that starts or ends with one, and exceljs does not double it inside the print
      // titles that repeat the header on every page, which would make Excel repair the file.
      .refine((n) => !n.includes("'"), "sheetName may not contain ' (an apostrophe)")
      .refine((n) => n.toLowerCase() !== 'summary', 'sheetName "Summary" is taken by the summary sheet')
      .default('Images')
      .meta({ description: "Name of the data sheet: at most 26 characters, none of `\\ / ? * [ ] : '`. Later sheets are `<name> (2)`, `<name> (3)`, …" }),
    rowsPerSheet: z
      .number()
      .int()
      .min(1)
      .max(EXCEL_MAX_DATA_ROWS, `rowsPerSheet is at most ${EXCEL_MAX_DATA_ROWS}, Excel's row limit less the header`)
      .default(EXCEL_MAX_DATA_ROWS)
      .meta({
        description:
          'Data rows per sheet before the next one starts, with the same header. ' +
          "The default is also the maximum: Excel's limit (1,048,576 rows, less the header).",
      }),
    findings: z
      .union([z.literal(false), z.enum(['findings', 'packages'])])
      .default(false)
      .meta({
        description:
          'Add a "Findings" sheet (one row per image × vulnerability, or per affected package with `packages`) and an "SLA" sheet ' +
          '(per severity: open, breached, oldest, median age). Needs `source.vulnerabilities`.',
      }),
    summary: z.boolean().default(true).meta({ description: 'Add the Summary sheet: run details, totals by severity, the ten riskiest images.' }),
    fileMode: fileModeOption,
  })
  .superRefine(refineColumns)
  .describe('Excel .xlsx: an Images sheet with real dates and numbers, and a Summary sheet');

export type ExcelSinkOptions = z.output<typeof excelOptions>;
