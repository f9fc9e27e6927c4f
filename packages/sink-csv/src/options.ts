import { z } from 'zod';
import { recordsOption, refineColumns, stampRunOption, tabularOptionsShape, fileModeOption } from '@qcs-export/core/sink';

export const csvOptions = z
  .strictObject({
    path: z
      .string()
      .min(1, 'path must name a .csv file')
      .refine((p) => p !== '-', 'the csv sink writes a file, not stdout ("-"): name a .csv file, or use the jsonl sink with path: "-" to stream')
      .meta({ description: 'The output `.csv` file. `{date}`, `{time}` and `{datetime}` expand; missing parent directories are created.' }),
    records: recordsOption,
    stampRun: stampRunOption,
    ...tabularOptionsShape,
    delimiter: z
      .string()
      .length(1, 'delimiter must be one character')
      .default(',')
      .meta({ description: 'Field separator, one character. Use `;` for Excel in locales that write decimals with a comma, or `"\\t"` for TSV.' }),
    lineEnding: z.enum(['crlf', 'lf']).default('crlf').meta({ description: '`crlf` (RFC 4180, as Excel writes) or `lf`.' }),
    bom: z.boolean().default(true).meta({ description: 'Start the file with a UTF-8 byte order mark, so Excel shows `café/日本` right.' }),
    header: z.boolean().default(true).meta({ description: 'Write the header row.' }),
    escapeFormulas: z
      .boolean()
      .default(true)
      .meta({
        description:
          "A text value that starts with `=`, `+`, `-`, `@`, tab or CR gets a `'` prefix, so no cell can become a formula " +
          '(image names, tags and labels come from whoever pushed the image). This changes values that really start with `-`; numbers are never touched.',
      }),
    fileMode: fileModeOption,
  })
  .superRefine(refineColumns)
  .describe('CSV: one row per image (or per finding), compliance columns by default');

export type CsvSinkOptions = z.output<typeof csvOptions>;
