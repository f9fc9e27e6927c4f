import { z } from 'zod';
import { RECORD_GRAINS, refineColumns, stampRunOption, tabularOptionsShape, fileModeOption } from '@qcs-export/core/sink';

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
    records: z
      .union([z.enum(RECORD_GRAINS), z.array(z.enum(RECORD_GRAINS)).min(1, 'records lists at least one of images, findings, packages')])
      .optional()
      .refine((r) => !(Array.isArray(r) && r.includes('findings') && r.includes('packages')), {
        message: 'a workbook holds findings or packages, not both: list one of them',
      })
      .meta({
        description:
          'What the workbook holds, one grain or a list: `images` (the Images sheets), `findings` (Findings sheets, one row per image × ' +
          'vulnerability, and an SLA sheet) or `packages` (the same, one row per affected package); `[images, findings]` gives both. ' +
          "`findings` and `packages` need `source.vulnerabilities`. `columns` picks the Images sheets' columns; the Findings sheets have the " +
          'audit columns. The Summary (`summary`) comes with any of them.',
        defaultText: '`images`, or `[images, <findings>]` with the deprecated `findings`',
      }),
    findings: z
      .union([z.literal(false), z.enum(['findings', 'packages'])])
      .optional()
      .meta({
        description:
          'Deprecated: write `records: [images, findings]` (or `packages`). Adds the Findings and SLA sheets beside the Images sheets; ' +
          'ignored when `records` is given.',
        defaultText: 'none',
      }),
    summary: z.boolean().default(true).meta({ description: 'Add the Summary sheet: run details, totals by severity, the ten riskiest images.' }),
    fileMode: fileModeOption,
  })
  // `columns` picks the Images sheets' columns, whatever else the workbook holds.
  .superRefine((o, ctx) => refineColumns({ columns: o.columns, joinWith: o.joinWith }, ctx))
  .describe('Excel .xlsx: Images and Findings sheets with real dates and numbers, an SLA sheet, and a Summary sheet');

export type ExcelSinkOptions = z.output<typeof excelOptions>;

/** What a workbook holds: Images sheets or not, and which findings grain, if any. */
export interface WorkbookGrains {
  images: boolean;
  findings: false | 'findings' | 'packages';
}

/** The grains `records` names, or the deprecated `findings` beside the Images sheets, or the Images sheets alone. */
export function workbookGrains(options: Pick<ExcelSinkOptions, 'records' | 'findings'>): WorkbookGrains {
  const listed = options.records === undefined ? ['images', ...(options.findings ? [options.findings] : [])] : [options.records].flat();
  const findings = listed.find((g): g is 'findings' | 'packages' => g !== 'images');
  return { images: listed.includes('images'), findings: findings ?? false };
}

/** The sentence that tells a user of the old `findings` option what to write instead. */
export function findingsOptionDeprecation(options: Pick<ExcelSinkOptions, 'records' | 'findings'>): string[] {
  if (options.findings === undefined) return [];
  const grain = options.findings === false ? 'images' : `[images, ${options.findings}]`;
  return [
    options.records === undefined
      ? `\`findings: ${String(options.findings)}\` is deprecated; write \`records: ${grain}\`, which means the same`
      : '`findings` is deprecated and ignored beside `records`; remove it',
  ];
}
