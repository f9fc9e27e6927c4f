import { z } from 'zod';
import { RECORD_GRAINS, refineColumns, stampRunOption, tabularOptionsShape, fileModeOption, type RecordGrain } from '@qcs-export/core/sink';

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
      .union([z.enum(RECORD_GRAINS), z.array(z.enum(RECORD_GRAINS)).min(1, `records lists at least one of ${RECORD_GRAINS.join(', ')}`)])
      .optional()
      .refine((r) => !(Array.isArray(r) && r.includes('findings') && r.includes('packages')), {
        message: 'a workbook holds findings or packages, not both: list one of them',
      })
      .meta({
        description:
          'What the workbook holds, one grain or a list: `images` (the Images sheets), `findings` (Findings sheets, one row per image × ' +
          'vulnerability, and an SLA sheet) or `packages` (the same, one row per affected package), `software` (a Software sheet, one row per ' +
          'image × installed package, those past end of life highlighted), `containers` (a Containers sheet, one row per container) and ' +
          '`container-findings` (a Container Findings sheet, one row per container × vulnerability of the image it runs); ' +
          '`[images, findings, containers, container-findings]` gives all of those. Sheets follow that order: images, findings, ' +
          'software, containers, container findings, then the Summary. `findings`, `packages` and `container-findings` need ' +
          "`source.vulnerabilities`. `columns` picks the Images sheets' columns, or without them the columns of the one Software, " +
          'Containers or Container Findings sheet; the Findings sheets have the audit columns. The Summary (`summary`) comes with any of them ' +
          'and counts containers by state and severity when the workbook has containers.',
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
    summary: z
      .boolean()
      .default(true)
      .meta({
        description:
          'Add the Summary sheet: run details, totals by severity, the ten riskiest images; with containers, containers by state, running ' +
          'containers by their most severe vulnerability and the namespaces with the most running CRITICAL or HIGH containers.',
      }),
    fileMode: fileModeOption,
  })
  // `columns` picks the columns of one sheet (columnsGrain): the Images sheets', or the one other sheet's.
  .superRefine((o, ctx) => {
    const grains = workbookGrains(o);
    const picked = columnsGrain(grains);
    if (o.columns !== undefined && picked === undefined) {
      const tables = grains.listed.filter((g) => COLUMN_GRAINS.includes(g));
      ctx.addIssue({
        code: 'custom',
        path: ['columns'],
        message:
          `columns picks the columns of one sheet, and records lists ${tables.join(' and ')} without images, so it cannot say which: ` +
          'leave columns out (each sheet gets its default columns), add images (columns is then the Images columns), ' +
          'or write each grain to a workbook of its own',
      });
      return;
    }
    refineColumns({ columns: o.columns, joinWith: o.joinWith, records: picked }, ctx);
  })
  .superRefine((o, ctx) => {
    // Another sheet of the workbook already has this name: Excel refuses a workbook with two sheets of one name.
    const grains = workbookGrains(o);
    const taken = otherSheetNames(grains).find((name) => name.toLowerCase() === o.sheetName.toLowerCase());
    if (taken !== undefined && grains.images) {
      ctx.addIssue({
        code: 'custom',
        path: ['sheetName'],
        message: `sheetName "${o.sheetName}" is taken by the ${taken} sheet of this workbook; choose another`,
      });
    }
  })
  .describe('Excel .xlsx: Images, Findings, Software and Containers sheets with real dates and numbers, an SLA sheet, and a Summary sheet');

export type ExcelSinkOptions = z.output<typeof excelOptions>;

/** The order of a workbook's data sheets, by grain: the image grains, then the container grains. */
export const SHEET_ORDER: readonly RecordGrain[] = ['images', 'findings', 'packages', 'software', 'containers', 'container-findings'];

/** The grains whose sheet `columns` can pick, besides images; the Findings sheets always have the audit columns. */
const COLUMN_GRAINS: readonly RecordGrain[] = ['software', 'containers', 'container-findings'];

/** The base name of each data sheet but Images (whose name is `sheetName`). */
export const SHEET_NAMES: Readonly<Record<Exclude<RecordGrain, 'images'>, string>> = {
  findings: 'Findings',
  packages: 'Findings',
  software: 'Software',
  containers: 'Containers',
  'container-findings': 'Container Findings',
};

/** What a workbook holds: which grains, in sheet order, and what each part of the sink needs to know of them. */
export interface WorkbookGrains {
  /** The grains listed, once each, in sheet order (SHEET_ORDER). */
  listed: readonly RecordGrain[];
  /**
   * The grain of the first data sheet: what the workbook counts as its records (delivered, written, a state's
   * records), and the one sheet written as rows arrive; the others wait on disk until it is closed.
   */
  primary: RecordGrain;
  images: boolean;
  findings: false | 'findings' | 'packages';
  software: boolean;
  containers: boolean;
  containerFindings: boolean;
}

/** The grains `records` names, or the deprecated `findings` beside the Images sheets, or the Images sheets alone. */
export function workbookGrains(options: Pick<ExcelSinkOptions, 'records' | 'findings'>): WorkbookGrains {
  const named: RecordGrain[] = options.records === undefined ? ['images', ...(options.findings ? [options.findings] : [])] : [options.records].flat();
  const listed = SHEET_ORDER.filter((g) => named.includes(g));
  const findings = listed.find((g): g is 'findings' | 'packages' => g === 'findings' || g === 'packages');
  return {
    listed,
    primary: listed[0] ?? 'images',
    images: listed.includes('images'),
    findings: findings ?? false,
    software: listed.includes('software'),
    containers: listed.includes('containers'),
    containerFindings: listed.includes('container-findings'),
  };
}

/**
 * The grain whose sheet `columns` picks: images when the workbook has Images sheets; else the one software or
 * container grain listed; images (checked, unused) for a workbook of findings alone, as before; undefined when
 * several are listed without images, which the schema refuses when `columns` is given.
 */
export function columnsGrain(grains: WorkbookGrains): RecordGrain | undefined {
  if (grains.images) return 'images';
  const tables = grains.listed.filter((g) => COLUMN_GRAINS.includes(g));
  if (tables.length > 1) return undefined;
  return tables[0] ?? 'images';
}

/** The names of the sheets a workbook holds besides its Images sheets. */
function otherSheetNames(grains: WorkbookGrains): string[] {
  const names = grains.listed.filter((g) => g !== 'images').map((g) => SHEET_NAMES[g as Exclude<RecordGrain, 'images'>]);
  if (grains.findings) names.push('SLA', 'Changes');
  return names;
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
