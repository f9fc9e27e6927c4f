import { z } from 'zod';
import { refineColumns, tabularOptionsShape } from '@qcs-export/core/sink';

export const csvOptions = z
  .strictObject({
    /** Output file; {date}/{time}/{datetime} expand; missing parent directories are created. Required. */
    path: z
      .string()
      .min(1, 'path must name a .csv file')
      .refine((p) => p !== '-', 'the csv sink writes a file, not stdout ("-"): name a .csv file, or use the jsonl sink with path: "-" to stream'),
    ...tabularOptionsShape,
    /** Field separator, one character (e.g. ";" for European Excel locales, "\t" for TSV). Default: ",". */
    delimiter: z.string().length(1, 'delimiter must be one character').default(','),
    /** Line ending: "crlf" (RFC 4180, what Excel writes) or "lf". Default: "crlf". */
    lineEnding: z.enum(['crlf', 'lf']).default('crlf'),
    /** Start with a UTF-8 byte order mark, so Excel reads non-ASCII text right. Default: true. */
    bom: z.boolean().default(true),
    /** Write the header row. Default: true. */
    header: z.boolean().default(true),
    /**
     * Prefix ' to text starting with = + - @ tab or CR, so a spreadsheet never runs it as a formula (numbers stay
     * numbers). Image names, tags and labels come from whoever pushed the image. Default: true.
     */
    escapeFormulas: z.boolean().default(true),
    /** Permissions of the created file. Default: 0o600, since the inventory is sensitive. */
    fileMode: z.number().int().min(0).max(0o777).default(0o600),
  })
  .superRefine(refineColumns)
  .describe('CSV: one row per image, compliance columns by default');

export type CsvSinkOptions = z.output<typeof csvOptions>;
